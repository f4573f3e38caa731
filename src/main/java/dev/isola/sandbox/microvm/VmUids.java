package dev.isola.sandbox.microvm;

import dev.isola.sandbox.spi.SandboxException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * The host uids (and gids, the same numbers) QEMU processes drop to: {@code sandbox.microvm.uidBase} and the
 * {@code uidCount} ids above it, one per live VM. A VM's id is derived from its instance id (a hash into the range)
 * and moved on to the next free one when another live VM holds it, so two live VMs of this Isola never share a uid:
 * one QEMU cannot signal, ptrace or read the memory of another. An id is given back only once its QEMU has exited.
 *
 * <p>Ids of a crashed run are free again: start-up reaping stops that run's VMs before this run starts any. Two
 * Isolas on one host need disjoint ranges. The range must not hold a host user or group, nor overlap a subordinate
 * id range ({@code /etc/subuid}, {@code /etc/subgid}: rootless containers map those): {@link #hostCollision} says
 * which entry does, and the backend reports itself unavailable until the operator moves the range.
 */
final class VmUids {
    static final int DEFAULT_BASE = 200_000;
    /** As many ids as one subordinate-id block: more than a node ever runs VMs at once. */
    static final int DEFAULT_COUNT = 65_536;

    private final int base;
    private final int count;
    private final BitSet inUse;

    VmUids(int base, int count) {
        if (base < 1 || count < 1 || (long) base + count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("VM uid range " + base + "+" + count + " is out of bounds");
        }
        this.base = base;
        this.count = count;
        this.inUse = new BitSet(count);
    }

    int first() {
        return base;
    }

    int last() {
        return base + count - 1;
    }

    /** A uid no other live VM of this Isola holds, derived from {@code instanceId}; fails when all are taken. */
    synchronized int acquire(String instanceId) {
        int start = Math.floorMod(instanceId.hashCode(), count);
        int slot = inUse.nextClearBit(start);
        if (slot >= count) {
            slot = inUse.nextClearBit(0);
        }
        if (slot >= count) {
            throw new SandboxException("Failed to pick a uid for VM " + instanceId + ": all " + count
                    + " ids from sandbox.microvm.uidBase " + base + " are held by live VMs");
        }
        inUse.set(slot);
        return base + slot;
    }

    /** Gives {@code uid} back; call it only once the QEMU that ran as it has exited. */
    synchronized void release(int uid) {
        inUse.clear(uid - base);
    }

    synchronized int held() {
        return inUse.cardinality();
    }

    /**
     * The first host user, group or subordinate id range (files under {@code etc}) inside this range, described,
     * or empty when there is none. Unreadable or missing files count as empty.
     */
    Optional<String> hostCollision(Path etc) {
        for (String db : List.of("passwd", "group")) {
            for (String line : lines(etc.resolve(db))) {
                String[] f = line.split(":");
                if (f.length > 2 && overlaps(number(f[2]), 1)) {
                    return Optional.of("id " + f[2] + " (" + f[0] + ") of " + etc.resolve(db));
                }
            }
        }
        for (String db : List.of("subuid", "subgid")) {
            for (String line : lines(etc.resolve(db))) {
                String[] f = line.split(":");
                if (f.length > 2 && overlaps(number(f[1]), number(f[2]))) {
                    return Optional.of("ids " + f[1] + "+" + f[2] + " (" + f[0] + ") of " + etc.resolve(db));
                }
            }
        }
        return Optional.empty();
    }

    private boolean overlaps(long start, long length) {
        return start >= 0 && length > 0 && start <= last() && start + length - 1 >= base;
    }

    private static long number(String field) {
        try {
            return Long.parseLong(field.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
