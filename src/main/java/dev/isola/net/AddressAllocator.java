package dev.isola.net;

import java.security.SecureRandom;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.BitSet;

/**
 * Hands out instance addresses of one IPv4 subnet: never one in use, next free after the last one handed out (so
 * a just-released address, which the host may still have in its ARP cache with the old veth's MAC, is reused as
 * late as possible). The first host address is the bridge's (the instances' gateway). Each allocator starts at a
 * random place in the subnet: a platform restarted on the same host (tests, benchmarks, upgrades) then does not
 * hand out the very addresses the previous run used seconds ago, whose connection-tracking entries (TIME_WAIT,
 * 120 s) and neighbour entries elsewhere may still stand. Every address handed out is also claimed host-wide
 * ({@link HostClaims}), so that another Isola on this host, which shares the bridges and the subnet, never has
 * it at the same time; a crashed run's claims go with its process.
 */
public final class AddressAllocator implements AutoCloseable {
    private final int base;
    private final int size;
    private final BitSet used = new BitSet();
    private final HostClaims claims;
    private static final SecureRandom RANDOM = new SecureRandom();
    private int next;

    /** {@code cidr} like {@code 10.200.0.0/16}; its addresses claimed against every other Isola on this host. */
    public AddressAllocator(String cidr) {
        this(cidr, HostClaims.addresses(cidr));
    }

    AddressAllocator(String cidr, HostClaims claims) {
        String[] parts = cidr.split("/");
        int prefix = Integer.parseInt(parts[1]);
        if (prefix < 8 || prefix > 30) {
            throw new IllegalArgumentException("subnet prefix must be between /8 and /30: " + cidr);
        }
        this.base = toInt(parts[0]) & (-1 << (32 - prefix));
        this.size = 1 << (32 - prefix);
        this.claims = claims;
        used.set(0, 2);          // network address and the bridge
        used.set(size - 1);      // broadcast
        next = 2 + RANDOM.nextInt(size - 3);
    }

    /** The first address from where the last one went that is free here and not claimed by another run. */
    public synchronized InetAddress allocate() {
        int hosts = size - 3;
        int elsewhere = 0;
        for (int k = 0; k < hosts; k++) {
            int i = 2 + Math.floorMod(next - 2 + k, hosts);
            if (used.get(i)) {
                continue;
            }
            if (claims.tryClaim(i)) {
                used.set(i);
                next = i + 1;
                return toAddress(base + i);
            }
            elsewhere++;
        }
        throw new NetworkException("Failed to allocate an instance address: all " + hosts + " are in use"
                + (elsewhere == 0 ? "" : " (" + elsewhere + " by another Isola on this host)"));
    }

    public synchronized void release(InetAddress address) {
        int i = toInt(address.getHostAddress()) - base;
        if (i >= 2 && i < size - 1) {
            used.clear(i);
            claims.release(i);
        }
    }

    /** Gives up the claims on the addresses still handed out (at shutdown, when their instances are gone). */
    @Override
    public void close() {
        claims.close();
    }

    /** Whether {@code address} is allocated now. */
    synchronized boolean isAllocated(InetAddress address) {
        int i = toInt(address.getHostAddress()) - base;
        return i >= 0 && i < size && used.get(i);
    }

    public InetAddress gateway() {
        return toAddress(base + 1);
    }

    public int prefixLength() {
        return 32 - Integer.numberOfTrailingZeros(size);
    }

    private static int toInt(String dotted) {
        try {
            byte[] b = InetAddress.getByName(dotted).getAddress();
            return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted, e);
        }
    }

    private static InetAddress toAddress(int v) {
        try {
            return Inet4Address.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8),
                (byte) v});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
