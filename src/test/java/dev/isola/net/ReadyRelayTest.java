package dev.isola.net;

import com.sun.net.httpserver.HttpServer;
import dev.isola.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay on loopback, with 127.0.0.1 as the one "live VM" and 127.0.0.2 as anyone else (every 127/8 address is
 * the host's own on Linux), in front of a real readiness endpoint. Touches nothing of the host's network.
 */
class ReadyRelayTest {
    private static final InetAddress VM = InetAddress.getLoopbackAddress();
    private static final String PATH = "/internal/ready/fn.0123456789/nonce";

    private HttpServer platform;
    private final AtomicInteger callbacks = new AtomicInteger();
    private ReadyRelay relay;
    private URI exposed;

    @BeforeEach
    void open() throws IOException {
        platform = HttpServer.create(new InetSocketAddress(VM, 0), 0);
        platform.createContext("/", exchange -> {
            callbacks.incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        platform.start();
        relay = ReadyRelay.open(VM, VM::equals, Duration.ofSeconds(1), Ticker.SYSTEM);
        exposed = relay.expose(URI.create("http://127.0.0.1:" + platform.getAddress().getPort() + PATH));
    }

    @AfterEach
    void close() {
        relay.close();
        platform.stop(0);
    }

    @Test
    void callback_fromLiveVm_isForwardedOnce() throws IOException {
        assertThat(call(VM, PATH)).startsWith("HTTP/1.1 204");
        assertThat(callbacks).hasValue(1);
        assertThat(call(VM, PATH)).as("a path is forwarded once").startsWith("HTTP/1.1 404");
        assertThat(exposed.getPort()).isEqualTo(relay.port());
    }

    @Test
    void connection_fromAddressNotOfALiveVm_isRefused() throws IOException {
        assertThat(call(InetAddress.getByName("127.0.0.2"), PATH)).as("closed without an answer").isEmpty();
        assertThat(callbacks).hasValue(0);
        assertThat(call(VM, PATH)).as("the path is still exposed").startsWith("HTTP/1.1 204");
    }

    @Test
    void secondConcurrentConnection_fromSameVm_isRefused() throws IOException {
        try (Socket first = connect(VM)) {
            first.getOutputStream().write("POST ".getBytes(StandardCharsets.US_ASCII)); // holds its turn
            assertThat(call(VM, PATH)).as("closed without an answer while the first is open").isEmpty();
            first.getOutputStream().write((PATH + " HTTP/1.1\r\nHost: relay\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(read(first)).startsWith("HTTP/1.1 204");
        }
        assertThat(callbacks).hasValue(1);
    }

    @Test
    void requestSentByteByByte_isCutOffAtTheWholeRequestDeadline() throws Exception {
        byte[] request = ("POST " + PATH + " HTTP/1.1\r\nHost: relay\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        try (Socket slow = connect(VM)) {
            OutputStream out = slow.getOutputStream();
            // One byte every 50 ms: each gap is far below the 1 s deadline, the whole request (~3 s) far above it.
            boolean cut = false;
            for (int i = 0; i < request.length && !cut; i++) {
                try {
                    out.write(request[i]);
                    out.flush();
                    Thread.sleep(50); // pacing the sender is the point of this test, not a wait for a result
                } catch (IOException e) {
                    cut = true;
                }
            }
            assertThat(cut || read(slow).isEmpty()).as("the relay closed the connection before the request ended")
                    .isTrue();
        }
        assertThat(callbacks).hasValue(0);
    }

    private Socket connect(InetAddress from) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress(VM, relay.port()), 2000);
        socket.setSoTimeout(5000);
        return socket;
    }

    /** The relay's whole answer to {@code path} from {@code from}: empty when it closed without one. */
    private String call(InetAddress from, String path) throws IOException {
        Socket connected;
        try {
            connected = connect(from);
        } catch (SocketException e) {
            return ""; // a refusal on loopback can reset the connection before connect() has returned
        }
        try (Socket socket = connected) {
            try {
                socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: relay\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                return ""; // reset before the request went out
            }
            return read(socket);
        }
    }

    private static String read(Socket socket) throws IOException {
        try {
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (java.net.SocketException e) {
            return ""; // reset: refused
        }
    }
}
