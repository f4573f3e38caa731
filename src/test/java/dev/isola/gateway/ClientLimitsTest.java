package dev.isola.gateway;

import dev.isola.config.ClientConfig;
import dev.isola.testing.Await;
import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The edge's limits on slow clients against a real server and real functions, with raw sockets for the slow clients:
 * a half-sent head, a body trickled a byte a second, and one connection too many. The server here gives heads 1 s
 * ({@code headerTimeout}); bodies keep the default 1024 B/s after 5 s of grace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientLimitsTest {
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(1);
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("process").withProbe()
            .withConfig(c -> c.withClients(new ClientConfig(HEADER_TIMEOUT, Duration.ofSeconds(75), 1024, 10_000)));

    private TestIsola isola;

    @BeforeAll
    void start() {
        isola = SERVER.isola();
        // One instance with one slot: a slot a slow client kept would make the next call wait, then time out.
        deploy("one-slot-2s", "limits: {timeout: 2s}\n");
        deploy("one-slot", "limits: {timeout: 30s}\n");
    }

    @Test
    void halfAHead_thenNothing_gets408WithinTheHeaderTimeout_andOthersAreServed() throws IOException {
        try (Socket stalled = connect()) {
            long begin = System.nanoTime();
            stalled.getOutputStream().write(ascii("GET /function/probe/ HTTP/1.1\r\nHo"));
            assertThat(isola.get("/function/probe/").statusCode()).as("another client meanwhile").isEqualTo(200);

            RawResponse r = RawResponse.read(stalled.getInputStream());
            Duration took = Duration.ofNanos(System.nanoTime() - begin);
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(r.body()).contains("\"error\":\"request_timeout\"").contains("headerTimeout");
            assertThat(took).isBetween(HEADER_TIMEOUT.minusMillis(100), HEADER_TIMEOUT.plusSeconds(2));
            assertThat(stalled.getInputStream().read()).as("closed").isEqualTo(-1);
        }
        assertThat(isola.get("/function/probe/").statusCode()).isEqualTo(200);
    }

    @Test
    void bodyTrickledPastTheFunctionsTimeout_gets504AtTheDeadline_andTheSlotIsFreeAgain() throws Exception {
        String instance = call("one-slot-2s").headers().firstValue("X-Isola-Instance").orElseThrow();
        try (Socket slow = connect(); Trickle trickle = new Trickle(slow.getOutputStream())) {
            long begin = System.nanoTime();
            trickle.start("POST /function/one-slot-2s/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");

            RawResponse r = RawResponse.read(slow.getInputStream());
            Duration took = Duration.ofNanos(System.nanoTime() - begin);
            assertThat(r.status()).as(r.body()).isEqualTo(504);
            assertThat(r.body()).contains("\"error\":\"timeout\"").contains("timeout of 2000 ms");
            assertThat(took).as("absolute from the head: the byte a second does not move it")
                    .isBetween(Duration.ofMillis(1_900), Duration.ofMillis(4_000));
        }
        long begin = System.nanoTime();
        HttpResponse<String> next = call("one-slot-2s");
        assertThat(next.statusCode()).as("a slot still held would make this wait, then time out").isEqualTo(200);
        assertThat(next.headers().firstValue("X-Isola-Instance")).hasValue(instance);
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void bodyBelowTheMinimumRate_isCutWith408_andTheSlotIsFreeAgain() throws Exception {
        String instance = call("one-slot").headers().firstValue("X-Isola-Instance").orElseThrow();
        try (Socket slow = connect(); Trickle trickle = new Trickle(slow.getOutputStream())) {
            long begin = System.nanoTime();
            trickle.start("POST /function/one-slot/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");

            RawResponse r = RawResponse.read(slow.getInputStream());
            Duration took = Duration.ofNanos(System.nanoTime() - begin);
            assertThat(r.status()).as(r.body()).isEqualTo(408);
            assertThat(r.body()).contains("\"error\":\"request_timeout\"").contains("minBodyRate");
            assertThat(took).as("5 s of grace, then a few bytes' worth").isBetween(Duration.ofMillis(4_900),
                    Duration.ofSeconds(8));
            assertThat(slow.getInputStream().read()).as("closed").isEqualTo(-1);
        }
        HttpResponse<String> next = call("one-slot");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.headers().firstValue("X-Isola-Instance")).hasValue(instance);
    }

    @Test
    void connectionsPastTheCap_get503AndClose_andOneIsAcceptedAgainOnceAnotherCloses() throws IOException {
        try (TestIsola capped = TestIsola.start("process", c -> c.withClients(new ClientConfig(Duration.ofSeconds(10),
                Duration.ofSeconds(75), 1024, 3)))) {
            List<Socket> open = new ArrayList<>();
            AtomicInteger refusals = new AtomicInteger(1); // the fourth connection's
            try {
                for (int i = 0; i < 3; i++) {
                    Socket s = connect(capped);
                    open.add(s);
                    assertThat(health(s)).as("connection " + (i + 1)).isEqualTo(200);
                }
                try (Socket fourth = connect(capped)) {
                    fourth.getOutputStream().write(ascii("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
                    RawResponse refused = RawResponse.read(fourth.getInputStream());
                    assertThat(refused.status()).isEqualTo(503);
                    assertThat(refused.header("Connection")).isEqualToIgnoringCase("close");
                    assertThat(refused.header("Retry-After")).isEqualTo("1");
                    assertThat(refused.body()).contains("\"error\":\"unavailable\"").contains("maxClientConnections");
                    assertThat(fourth.getInputStream().read()).as("closed").isEqualTo(-1);
                }
                open.removeFirst().close();
                // Until the edge has seen that close, a new connection is refused too, and counted.
                Await.until(Duration.ofSeconds(10), () -> {
                    try (Socket again = connect(capped)) {
                        int status = health(again);
                        if (status == 503) {
                            refusals.incrementAndGet();
                        }
                        return status == 200;
                    }
                }, "a connection is accepted again");
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
            String counted = "isola_client_connections_refused_total " + refusals.get() + ".0";
            Await.until(Duration.ofSeconds(10), () -> capped.get("/metrics").body().contains(counted),
                    "the refusals counted: " + counted);
        }
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    private void deploy(String name, String limits) {
        HttpResponse<String> r = isola.deploy(name, TestIsola.FUNCTIONS.resolve("probe"), "name: " + name
                + "\nruntime: go\nscaling: {concurrency: 1, maxInstances: 1}\n" + limits);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    private HttpResponse<String> call(String function) {
        return isola.send(HttpRequest.newBuilder(isola.uri("/function/" + function + "/"))
                .timeout(Duration.ofSeconds(60)));
    }

    private static int health(Socket s) throws IOException {
        s.getOutputStream().write(ascii("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        return RawResponse.read(s.getInputStream()).status();
    }

    private Socket connect() throws IOException {
        return connect(isola);
    }

    private static Socket connect(TestIsola server) throws IOException {
        Socket s = new Socket("127.0.0.1", server.server().port());
        s.setSoTimeout(30_000);
        return s;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A slow client: the head, then a chunk of one byte every second, on a thread of its own until the edge closes
     * the connection or the test ends. The pause is the client's pace, the input under test, not a wait for a result.
     */
    private static final class Trickle implements AutoCloseable {
        private final OutputStream out;
        private Thread writer;

        Trickle(OutputStream out) {
            this.out = out;
        }

        void start(String head) throws IOException {
            out.write(ascii(head));
            out.flush();
            writer = Thread.ofVirtual().name("trickle").start(() -> {
                try {
                    for (int i = 0; i < 60 && !Thread.currentThread().isInterrupted(); i++) {
                        LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
                        out.write(ascii("1\r\na\r\n"));
                        out.flush();
                    }
                } catch (IOException e) {
                    // the edge closed the connection: what the test waits for
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            if (writer != null) {
                writer.interrupt();
                writer.join(Duration.ofSeconds(5));
            }
        }
    }
}
