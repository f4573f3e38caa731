package dev.isola.sandbox.microvm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The QMP (QEMU Machine Protocol) exchanges Isola needs, over the VM's own unix socket: {@link #quit} to stop a VM,
 * and a {@link Session} of several commands under one deadline to save and restore VMs. QMP is line-delimited
 * JSON; replies are matched as text, since Isola only needs to know whether a command went through and a few
 * status words.
 */
final class Qmp {
    private Qmp() {
    }

    /** Asks QEMU to exit now ({@code quit}). Returns false when the socket is gone or QEMU did not answer. */
    static boolean quit(Path socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            readLine(channel);
            send(channel, "{\"execute\":\"qmp_capabilities\"}");
            readLine(channel);
            send(channel, "{\"execute\":\"quit\"}");
            readLine(channel);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Connects to a unix socket that QEMU makes early in its start, trying again every millisecond while
     * {@code waiting} holds (a deadline, QEMU still alive).
     */
    static SocketChannel connectWhile(Path socket, BooleanSupplier waiting) throws IOException {
        while (true) {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
                return channel;
            } catch (IOException e) {
                channel.close();
                if (!waiting.getAsBoolean()) {
                    throw new IOException("could not connect to " + socket + ": " + e.getMessage(), e);
                }
                LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
            }
        }
    }

    private static void send(SocketChannel channel, String json) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((json + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /** One reply line; bounded so that a confused peer cannot make Isola read forever. */
    private static void readLine(SocketChannel channel) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        for (int i = 0; i < 65_536; i++) {
            one.clear();
            if (channel.read(one) < 0) {
                throw new IOException("QMP socket closed");
            }
            if (one.get(0) == '\n') {
                return;
            }
        }
        throw new IOException("QMP reply too long");
    }

    /**
     * Several commands over one connection, all within one deadline: a QEMU that stops answering (a wedged
     * migration, a dying process) fails the session instead of holding its caller.
     */
    static final class Session implements AutoCloseable {
        private final SocketChannel channel;
        private final Selector selector;
        private final long deadlineNanos;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private final ByteBuffer in = ByteBuffer.allocate(4096).flip();

        private Session(SocketChannel channel, Selector selector, long deadlineNanos) {
            this.channel = channel;
            this.selector = selector;
            this.deadlineNanos = deadlineNanos;
        }

        /** Connects (waiting for QEMU to make the socket) and does the capabilities handshake. */
        static Session open(Path socket, Duration timeout) throws IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            SocketChannel channel = connectWhile(socket, () -> System.nanoTime() - deadline < 0);
            Selector selector = Selector.open();
            try {
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ);
                Session session = new Session(channel, selector, deadline);
                session.readLine(); // the greeting
                session.execute("qmp_capabilities", "{}");
                return session;
            } catch (IOException | RuntimeException e) {
                selector.close();
                channel.close();
                throw e;
            }
        }

        /** Runs one command; returns its {@code return} line, skipping events; a QMP error is an IOException. */
        String execute(String command, String argumentsJson) throws IOException {
            send(channel, "{\"execute\":\"" + command + "\",\"arguments\":" + argumentsJson + "}");
            while (true) {
                String reply = readLine();
                if (reply.startsWith("{\"return\"")) {
                    return reply;
                }
                if (reply.startsWith("{\"error\"")) {
                    throw new IOException(command + ": " + reply);
                }
            }
        }

        private String readLine() throws IOException {
            line.reset();
            while (true) {
                while (in.hasRemaining()) {
                    byte b = in.get();
                    if (b == '\n') {
                        return line.toString(StandardCharsets.UTF_8).strip();
                    }
                    if (line.size() == 65_536) {
                        throw new IOException("QMP reply too long");
                    }
                    line.write(b);
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("QEMU did not answer on QMP in time");
                }
                selector.select(Math.max(1, Duration.ofNanos(left).toMillis()));
                selector.selectedKeys().clear();
                in.clear();
                int read = channel.read(in);
                in.flip();
                if (read < 0) {
                    throw new IOException("QMP socket closed");
                }
            }
        }

        @Override
        public void close() throws IOException {
            try (channel) {
                selector.close();
            }
        }
    }
}
