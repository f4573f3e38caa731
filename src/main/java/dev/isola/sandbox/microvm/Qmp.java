package dev.isola.sandbox.microvm;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The few QMP (QEMU Machine Protocol) exchanges Isola needs, over the VM's own unix socket: the capabilities
 * handshake, then one command. QMP is line-delimited JSON; replies are read up to the newline and not parsed,
 * since the caller only needs to know the command went through (the VM's exit proves it worked).
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
}
