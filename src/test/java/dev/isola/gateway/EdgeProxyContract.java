package dev.isola.gateway;

import dev.isola.testing.Await;
import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The edge's HTTP/1.1 handling where a library client would hide it: raw sockets that pipeline, send Expect, send
 * garbage, stream a body past the limit, read slowly, or hang up while their function is still busy. Run once per
 * transport of the gateway's event loops ({@code gatewayTransport}): each subclass starts its server on one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EdgeProxyContract {
    private static final Pattern IN_FLIGHT = Pattern.compile(
            "isola_in_flight_requests\\{[^}]*function=\"probe\"[^}]*} (\\d+)");

    private TestIsola isola;

    /** The subclass's server: a process-backend one with the probe deployed, on its transport. */
    abstract IsolaServerExtension server();

    /** A process-backend server with the probe deployed, its gateway on {@code transport}. */
    static IsolaServerExtension serverOn(String transport) {
        return IsolaServerExtension.onBackend("process").withProbe()
                .withConfig(c -> c.withGatewayTransport(transport));
    }

    @BeforeAll
    void start() {
        isola = server().isola();
    }

    /**
     * An instance whose sandbox runs on but that takes no new connection: the next call goes to another instance (its
     * caller gets a 200, not a 502), and the deaf one is stopped.
     */
    @Test
    void anInstanceThatStopsListening_theNextCallGoesToAnother_andItIsStopped() {
        HttpResponse<String> d = isola.deploy("deaf", TestIsola.FUNCTIONS.resolve("probe"),
                "name: deaf\nruntime: go\n");
        assertThat(d.statusCode()).as(d.body()).isEqualTo(201);
        HttpResponse<String> deafened = isola.get("/function/deaf/unlisten");
        assertThat(deafened.statusCode()).as(deafened.body()).isEqualTo(200);
        String deaf = deafened.headers().firstValue("X-Isola-Instance").orElseThrow();

        HttpResponse<String> next = isola.get("/function/deaf/");

        assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
        assertThat(next.body()).isEqualTo("ok");
        assertThat(next.headers().firstValue("X-Isola-Instance")).isPresent().get().isNotEqualTo(deaf);
        Await.until(Duration.ofSeconds(10), () -> isola.admin(HttpRequest.newBuilder(
                isola.uri("/system/instances?function=deaf"))).body(), listing -> !listing.contains(deaf),
                "the deaf instance stopped");
    }

    @Test
    void pipelinedRequests_areAnsweredInOrder() throws IOException {
        try (Socket s = connect()) {
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < 5; i++) {
                requests.append("GET /function/probe/echo/").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            s.getOutputStream().write(requests.toString().getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            for (int i = 0; i < 5; i++) {
                RawResponse r = RawResponse.read(in);
                assertThat(r.status()).isEqualTo(201);
                assertThat(r.header("X-Echo-Uri")).isEqualTo("/echo/" + i);
            }
        }
    }

    @Test
    void undeployedFunction_is404_andTheConnectionStaysUsable() throws IOException {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(("POST /function/not-deployed/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
                    .getBytes(StandardCharsets.US_ASCII));
            RawResponse missing = RawResponse.read(in);
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.body()).contains("\"error\":\"function_not_found\"");
            out.write("GET /function/probe/echo/again HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawResponse next = RawResponse.read(in);
            assertThat(next.status()).isEqualTo(201);
            assertThat(next.header("X-Echo-Uri")).isEqualTo("/echo/again");
        }
    }

    @Test
    void shorterTimeout_afterALongerOne_onOneConnection_stillFires() throws IOException {
        HttpResponse<String> deployed = isola.deploy("probe-1s", TestIsola.FUNCTIONS.resolve("probe"),
                "name: probe-1s\nruntime: go\nlimits: {timeout: 1s}\n");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        try (Socket s = connect()) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            // The first exchange arms the connection's watchdog for probe's 30 s; the second needs it at 1 s.
            out.write("GET /function/probe/ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawResponse.read(in).status()).isEqualTo(200);
            long begin = System.nanoTime();
            out.write("GET /function/probe-1s/sleep?ms=8000 HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            RawResponse slow = RawResponse.read(in);
            assertThat(slow.status()).isEqualTo(504);
            assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(5));
            out.write("GET /function/probe/ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawResponse.read(in).status()).as("the connection serves on").isEqualTo(200);
        } finally {
            isola.admin(java.net.http.HttpRequest.newBuilder(isola.uri("/system/functions/probe-1s")).DELETE());
        }
    }

    @Test
    void expectContinue_isAnsweredByTheEdge() throws IOException {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /function/probe/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            assertThat(RawResponse.read(in).status()).isEqualTo(100);
            out.write("hello".getBytes(StandardCharsets.US_ASCII));
            RawResponse r = RawResponse.read(in);
            assertThat(r.status()).isEqualTo(201);
            assertThat(r.header("X-Echo-Body-Length")).isEqualTo("5");
        }
    }

    @Test
    void malformedRequest_is400Json_andTheConnectionCloses() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write("GET /function/probe/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            RawResponse r = RawResponse.read(s.getInputStream());
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("\"error\":\"bad_request\"");
            assertThat(s.getInputStream().read()).as("connection closed").isEqualTo(-1);
        }
        assertThat(isola.get("/function/probe/").statusCode()).as("still serving").isEqualTo(200);
    }

    @Test
    void chunkedBodyPastTheLimit_is413() throws IOException {
        long limit = isola.server().config().maxBodyBytes();
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write("POST /function/probe/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[1 << 20];
            byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            try {
                for (long sent = 0; sent <= limit; sent += chunk.length) {
                    out.write(size);
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                // the edge may close before the client has finished sending: the answer is already there
            }
            RawResponse r = RawResponse.read(s.getInputStream());
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.body()).contains("\"error\":\"body_too_large\"");
        }
        assertThat(isola.get("/function/probe/").statusCode()).as("still serving").isEqualTo(200);
    }

    @Test
    void slowReader_getsThe50MiBAnswerIntact() throws IOException, InterruptedException {
        long n = 50L << 20;
        try (Socket s = connect()) {
            s.setReceiveBufferSize(64 * 1024);
            s.getOutputStream().write(("GET /function/probe/bytes?n=" + n + "&length=1 HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            RawResponse head = RawResponse.readHead(in);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo(Long.toString(n));
            Thread.sleep(1_000); // the function has written everything by now; the edge must hold it back, not buffer it
            // The server runs in this JVM: Netty's count of its direct buffers is the edge's holding.
            assertThat(PlatformDependent.usedDirectMemory()).as("bytes the edge holds for the slow reader")
                    .isLessThan(16L << 20);
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            boolean patternOk = true;
            while (total < n) {
                int k = in.read(buf, 0, (int) Math.min(buf.length, n - total));
                if (k < 0) {
                    break;
                }
                for (int i = 0; i < k; i++) {
                    patternOk &= buf[i] == (byte) (((total + i) % (64 * 1024)) % 251);
                }
                total += k;
            }
            assertThat(total).isEqualTo(n);
            assertThat(patternOk).isTrue();
        }
    }

    @Test
    void clientHangingUp_whileTheFunctionWorks_freesItsSlot() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write("GET /function/probe/sleep?ms=800 HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            Await.until(Duration.ofSeconds(10), () -> inFlight() == 1, "the busy call to be in flight");
        }
        Await.until(Duration.ofSeconds(10), () -> inFlight() == 0, "the abandoned call to end");
        assertThat(isola.get("/function/probe/").statusCode()).as("still serving").isEqualTo(200);
        assertThat(inFlight()).isZero();
    }

    private long inFlight() {
        Matcher m = IN_FLIGHT.matcher(isola.get("/metrics").body());
        long sum = 0;
        while (m.find()) {
            sum += Long.parseLong(m.group(1));
        }
        return sum;
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", isola.server().port());
        s.setSoTimeout(30_000);
        return s;
    }
}
