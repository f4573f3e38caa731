package dev.isola.gateway;

import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** The gateway end to end: a real server, a real Go function on the process backend, a real HTTP client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayTest {
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("process").withProbe();

    private TestIsola isola;

    @BeforeAll
    void start() {
        isola = SERVER.isola();
    }

    @Test
    void invoke_forwardsMethodPathQueryHeadersAndBody() throws Exception {
        byte[] body = "x".repeat(100_000).getBytes();
        HttpResponse<String> r = isola.send(HttpRequest.newBuilder(isola.uri("/function/probe/echo/deeper?a=1&b=%20x"))
                .header("X-Test", "value-42")
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(body)));
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("X-Echo-Method")).hasValue("PATCH");
        assertThat(r.headers().firstValue("X-Echo-Uri")).hasValue("/echo/deeper?a=1&b=%20x");
        assertThat(r.headers().firstValue("X-Echo-Test")).hasValue("value-42");
        assertThat(r.headers().firstValue("X-Echo-Body-Length")).hasValue("100000");
        assertThat(r.headers().firstValue("X-Echo-Body-Sha256"))
                .hasValue(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)));
        assertThat(r.headers().firstValue("X-Isola-Instance")).isPresent();
        assertThat(r.body()).isEqualTo("echo");
    }

    @Test
    void invoke_chunkedRequestBody_isForwarded() {
        byte[] body = "y".repeat(70_000).getBytes();
        HttpResponse<String> r = isola.send(HttpRequest.newBuilder(isola.uri("/function/probe/echo"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))));
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("X-Echo-Body-Length")).hasValue("70000");
    }

    @Test
    void invokeRoute_ofPaperHarness_works() {
        HttpResponse<String> r = isola.get("/invoke/probe/echo?x=1");
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("X-Echo-Uri")).hasValue("/echo?x=1");
    }

    @Test
    void invoke_50MiBResponses_streamIntact() throws Exception {
        long n = 50L << 20;
        for (String framing : new String[] {"length=1", "length=0"}) {
            HttpResponse<InputStream> r = isola.http().send(HttpRequest.newBuilder(
                    isola.uri("/function/probe/bytes?n=" + n + "&" + framing)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            long total = 0;
            boolean patternOk = true;
            try (InputStream in = r.body()) {
                byte[] buf = new byte[64 * 1024];
                int k;
                while ((k = in.read(buf)) > 0) {
                    for (int i = 0; i < k; i++) {
                        if (buf[i] != (byte) (((total + i) % (64 * 1024)) % 251)) {
                            patternOk = false;
                        }
                    }
                    total += k;
                }
            }
            assertThat(total).as(framing).isEqualTo(n);
            assertThat(patternOk).as(framing + " content").isTrue();
        }
    }

    @Test
    void headRequest_hasNoBody() {
        HttpResponse<String> r = isola.send(HttpRequest.newBuilder(isola.uri("/function/probe/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
    }

    @Test
    void unknownFunction_is404Json() {
        HttpResponse<String> r = isola.get("/function/nope/");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(TestIsola.json(r).get("error").asText()).isEqualTo("function_not_found");
        HttpResponse<String> bad = isola.get("/function/..%2F..%2Fetc/");
        assertThat(bad.statusCode()).isEqualTo(404);
        assertThat(TestIsola.json(bad).get("error").asText()).isEqualTo("function_not_found");
    }

    @Test
    void unknownRoute_is404Json() {
        HttpResponse<String> r = isola.get("/nowhere");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(TestIsola.json(r).get("error").asText()).isEqualTo("not_found");
    }

    @Test
    void knownAdminPath_withAnotherMethod_is405NamingTheAllowedOnes() {
        HttpResponse<String> r = isola.admin(HttpRequest.newBuilder(isola.uri("/system/instances"))
                .DELETE());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("GET");
        assertThat(TestIsola.json(r).get("error").asText()).isEqualTo("method_not_allowed");
    }

    @Test
    void oversizedBody_is413() {
        byte[] body = new byte[(int) (isola.server().config().maxBodyBytes() + 1)];
        HttpResponse<String> r = isola.send(HttpRequest.newBuilder(isola.uri("/function/probe/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(TestIsola.json(r).get("error").asText()).isEqualTo("body_too_large");
        assertThat(isola.get("/function/probe/").statusCode()).as("still serving").isEqualTo(200);
    }

    @Test
    void healthzAndMetrics_areOpen() {
        assertThat(isola.get("/healthz").body()).contains("\"ok\"");
        isola.get("/function/probe/");
        String metrics = isola.get("/metrics").body();
        assertThat(metrics).contains("isola_invocations_total{", "isola_cold_starts_total{",
                "isola_cold_start_seconds_bucket{", "isola_invocation_duration_seconds_bucket{",
                "isola_in_flight_requests{", "isola_instances{", "isola_starts_waiting 0",
                "isola_invocation_records_dropped_total 0", "function=\"probe\"",
                "backend=\"process\"");
    }

    @Test
    void admin_withoutOrWithWrongToken_is401() {
        HttpResponse<String> none = isola.get("/system/functions");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(TestIsola.json(none).get("error").asText()).isEqualTo("unauthorized");
        HttpResponse<String> wrong = isola.send(HttpRequest.newBuilder(isola.uri("/system/functions"))
                .header("Authorization", "Bearer nope"));
        assertThat(wrong.statusCode()).isEqualTo(401);
    }
}
