package dev.isola.host;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The host's IPv4 neighbour (ARP) table, and its bridges' forwarding entries for their ports
 * ({@link #replaceBridgeEntry}), written over one rtnetlink socket instead of by {@code ip neigh}: before
 * it changes one entry, {@code ip neigh} lists every link of the host ({@code ll_init_map}), and for each veth whose
 * peer lives in another namespace the kernel looks that namespace's id up in a list of all of them, so each run
 * costs links × namespaces. With 3,900 containers that was 0.7 s of kernel time per run, two runs per container's
 * life, and container starts stalled behind them. Here an entry is one message and its acknowledgement.
 *
 * <p>The calls run on one platform thread of this table's (made at the first call): the kernel handles a message
 * inside {@code sendto}, which may wait for the routing lock, and a virtual thread would pin its carrier there; a
 * caller only parks. After {@link #close()} a call fails.
 */
public final class NeighbourTable implements AutoCloseable {
    private static final short RTM_NEWNEIGH = 28;
    private static final short RTM_DELNEIGH = 29;
    private static final short NLMSG_ERROR = 2;
    private static final short NLM_F_REQUEST = 0x1;
    private static final short NLM_F_ACK = 0x4;
    private static final short NLM_F_REPLACE = 0x100;
    private static final short NLM_F_CREATE = 0x400;
    private static final byte AF_INET = 2;
    private static final byte AF_BRIDGE = 7;
    private static final short NUD_NOARP = 0x40;
    private static final short NUD_PERMANENT = 0x80;
    private static final byte NTF_MASTER = 0x04;
    private static final byte NTF_STICKY = 0x40;
    private static final short NDA_DST = 1;
    private static final short NDA_LLADDR = 2;
    private static final int ENOENT = 2;
    private static final int NLMSG_HEADER = 16;
    private static final int REPLY_BYTES = 8192;
    /** The kernel answers inside {@code sendto}; only its routing lock, held by a busy {@code ip}, makes it wait. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);

    private final ExecutorService thread;
    private final int socket;
    private int sequence;

    private NeighbourTable(int socket) {
        this.socket = socket;
        this.thread = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("isola-netlink").factory());
    }

    /** Opens the table's socket; throws when the host has no rtnetlink (never on Linux). */
    public static NeighbourTable open() {
        int socket = LinuxCalls.netlinkRouteSocket();
        if (socket < 0) {
            throw new HostException("Failed to open a netlink socket to the kernel's routing tables");
        }
        return new NeighbourTable(socket);
    }

    /** A permanent entry {@code address} → {@code mac} on {@code device}, replacing whatever it mapped to. */
    public void replacePermanent(String device, InetAddress address, byte[] mac) {
        int error = call(RTM_NEWNEIGH, (short) (NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE | NLM_F_CREATE), device,
                address, mac);
        if (error != 0) {
            throw new HostException("Failed to set the neighbour entry " + address.getHostAddress() + " on " + device
                    + ": the kernel answered errno " + error);
        }
    }

    /**
     * A static forwarding entry of {@code port}'s bridge: frames to {@code mac} leave by {@code port}, whether or not
     * the bridge has heard from it lately ({@code bridge fdb replace MAC dev PORT master static sticky}). A
     * learnt entry ages out after five minutes without a frame from the instance, and the bridge then floods each
     * frame to it to every port; past about 1,000 ports the flood overflows the kernel's backlog
     * ({@code net.core.netdev_max_backlog}), and the copies for the oldest ports, an idle instance's among them, are
     * always the ones dropped: new connections to it never arrived. Sticky: a frame from another port with that
     * source (which the firewall drops anyway) cannot move it. The entry goes with the port.
     */
    public void replaceBridgeEntry(String port, byte[] mac) {
        int index = interfaceIndex(port);
        int error = send(bridgeMessage(index, mac));
        if (error != 0) {
            throw new HostException("Failed to set the bridge's forwarding entry of " + port
                    + ": the kernel answered errno " + error);
        }
    }

    /** Removes the entry of {@code address} on {@code device}; an entry or device already gone is no error. */
    public void delete(String device, InetAddress address) {
        try {
            call(RTM_DELNEIGH, (short) (NLM_F_REQUEST | NLM_F_ACK), device, address, null);
        } catch (HostException gone) {
            // The device went, and the kernel removed its entries with it.
        }
    }

    private int call(short type, short flags, String device, InetAddress address, byte[] mac) {
        int error = send(message(type, flags, interfaceIndex(device), address, mac));
        return error == ENOENT && type == RTM_DELNEIGH ? 0 : error;
    }

    /** Sends {@code message} from the table's thread; its acknowledgement's error (0 or a positive errno). */
    private int send(ByteBuffer message) {
        Future<Integer> reply = thread.submit(() -> exchange(message));
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return -reply.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true; // the message is on its way: its answer says what became of it
                }
            }
        } catch (TimeoutException e) {
            throw new HostException("No answer from the kernel's neighbour table within "
                    + ANSWER_TIMEOUT.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw new HostException("Failed to talk to the kernel's neighbour table: " + e.getCause(), e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sends one request and returns its acknowledgement's error (0, or a negative errno); on the table's thread. */
    private int exchange(ByteBuffer message) {
        int seq = ++sequence;
        message.putInt(8, seq);
        if (!LinuxCalls.netlinkSend(socket, message.array(), message.limit())) {
            throw new HostException("Failed to send to the kernel's neighbour table");
        }
        byte[] buffer = new byte[REPLY_BYTES];
        while (true) {
            int n = LinuxCalls.netlinkReceive(socket, buffer);
            if (n < NLMSG_HEADER) {
                throw new HostException("No answer from the kernel's neighbour table");
            }
            ByteBuffer reply = ByteBuffer.wrap(buffer, 0, n).order(ByteOrder.nativeOrder());
            if (reply.getShort(4) == NLMSG_ERROR && reply.getInt(8) == seq) {
                return reply.getInt(NLMSG_HEADER);
            }
            // An answer to an earlier request whose caller gave up: not this one's.
        }
    }

    /** {@code nlmsghdr}, {@code ndmsg}, then {@code NDA_DST} and, for a new entry, {@code NDA_LLADDR}. */
    static ByteBuffer message(short type, short flags, int index, InetAddress address, byte[] mac) {
        if (address.getAddress().length != 4 || (mac != null && mac.length != 6)) {
            throw new IllegalArgumentException("an IPv4 address and a 6-byte MAC: " + address);
        }
        int length = NLMSG_HEADER + 12 + 8 + (mac == null ? 0 : 12);
        ByteBuffer m = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        m.putInt(length).putShort(type).putShort(flags).putInt(0).putInt(0);
        m.put(AF_INET).put((byte) 0).putShort((short) 0).putInt(index)
                .putShort(mac == null ? 0 : NUD_PERMANENT).put((byte) 0).put((byte) 0);
        m.putShort((short) 8).putShort(NDA_DST).put(address.getAddress());
        if (mac != null) {
            m.putShort((short) (4 + mac.length)).putShort(NDA_LLADDR).put(mac).put(new byte[12 - 4 - mac.length]);
        }
        return m.flip();
    }

    /** {@code nlmsghdr}, {@code ndmsg} of the bridge family for the port's master, then {@code NDA_LLADDR}. */
    static ByteBuffer bridgeMessage(int portIndex, byte[] mac) {
        if (mac.length != 6) {
            throw new IllegalArgumentException("a 6-byte MAC");
        }
        int length = NLMSG_HEADER + 12 + 12;
        ByteBuffer m = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        m.putInt(length).putShort(RTM_NEWNEIGH).putShort((short) (NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE
                | NLM_F_CREATE)).putInt(0).putInt(0);
        m.put(AF_BRIDGE).put((byte) 0).putShort((short) 0).putInt(portIndex).putShort(NUD_NOARP)
                .put((byte) (NTF_MASTER | NTF_STICKY)).put((byte) 0);
        m.putShort((short) (4 + mac.length)).putShort(NDA_LLADDR).put(mac).put(new byte[2]);
        return m.flip();
    }

    private static int interfaceIndex(String device) {
        try {
            return Integer.parseInt(Files.readString(Path.of("/sys/class/net", device, "ifindex")).trim());
        } catch (IOException | NumberFormatException e) {
            throw new HostException("No network device " + device, e);
        }
    }

    /** Waits briefly for an exchange under way: the socket must not close (and its number be reused) under it. */
    @Override
    public synchronized void close() {
        if (thread.isShutdown()) {
            return;
        }
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LinuxCalls.close(socket);
    }
}
