package dev.isola.async;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.isola.config.AsyncConfig;
import dev.isola.testing.Await;
import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Asynchronous calls through a real server on the process backend: the 202 and its id, the stored request replayed
 * to the function, results, retries with backoff, dead letters, idempotency keys, callbacks, cancelling, what a
 * delete does to queued calls, and every refusal's clear error.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AsyncCallsTest {
    private static final Path PROBE = TestIsola.FUNCTIONS.resolve("probe");
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("process")
            .withConfig(c -> c.withAsync(new AsyncConfig(100_000, Duration.ofMillis(50), List.of("127.0.0.1", "localhost"),
                    1 << 20, Duration.ofDays(7), 1 << 20, 3 << 20, 1L << 30, 1L << 30)));

    private TestIsola isola;
    private HttpServer receiver;
    private final BlockingQueue<Map<String, String>> callbacks = new LinkedBlockingQueue<>();

    @BeforeAll
    void start() throws IOException {
        isola = SERVER.isola();
        deploy("asy", "async: {maxAttempts: 3}");
        deploy("asy-one", "async: {maxAttempts: 2, concurrency: 1}");
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/cb", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            callbacks.add(Map.of("id", String.valueOf(exchange.getRequestHeaders().getFirst("X-Call-Id")),
                    "status", String.valueOf(exchange.getRequestHeaders().getFirst("X-Function-Status")),
                    "state", String.valueOf(exchange.getRequestHeaders().getFirst("X-Call-State")),
                    "body", new String(body, StandardCharsets.UTF_8)));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterAll
    void stopReceiver() {
        receiver.stop(0);
    }

    private void deploy(String name, String extra) {
        HttpResponse<String> r = isola.deploy(name, PROBE, "name: " + name + "\nruntime: go\n"
                + "scaling: {maxInstances: 2, concurrency: 4}\n" + extra + "\n");
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
    }

    private HttpResponse<String> submit(String function, String rest, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(isola.publicUri("/async-function/" + function + rest))
                .POST(HttpRequest.BodyPublishers.ofString("hello"));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return isola.send(request);
    }

    private String accepted(String function, String rest, String... headers) {
        HttpResponse<String> r = submit(function, rest, headers);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        return r.headers().firstValue("X-Call-Id").orElseThrow();
    }

    private HttpResponse<String> callResponse(String id) {
        return isola.admin(HttpRequest.newBuilder(isola.uri("/system/calls/" + id)));
    }

    private JsonNode awaitState(String id, String state) {
        return Await.until(Duration.ofSeconds(60), () -> TestIsola.json(callResponse(id)),
                c -> c.path("state").asText().equals(state), "call " + id + " to be " + state);
    }

    @Test
    void acceptedCall_runsOnce_withTheRequestAsSent_andKeepsTheResult() {
        String id = accepted("asy", "/echo/a?x=1", "X-Test", "t1", "X-Call-Id", "forged-by-the-caller");
        JsonNode call = awaitState(id, "succeeded");
        assertThat(call.get("attempts").asInt()).isEqualTo(1);
        assertThat(call.get("method").asText()).isEqualTo("POST");
        assertThat(call.get("path").asText()).isEqualTo("/echo/a?x=1");
        JsonNode result = call.get("result");
        assertThat(result.get("status").asInt()).isEqualTo(201);
        assertThat(result.get("body").asText()).isEqualTo("echo");
        JsonNode headers = result.get("headers"); // names in lower case, as HTTP/2 has them
        assertThat(headers.get("x-echo-uri").get(0).asText()).isEqualTo("/echo/a?x=1");
        assertThat(headers.get("x-echo-test").get(0).asText()).isEqualTo("t1");
        assertThat(headers.get("x-echo-body-length").get(0).asText()).isEqualTo("5");
        assertThat(headers.get("x-echo-headers").get(0).asText()).contains("X-Call-Id", "X-Isola-Attempt")
                .as("the mark stays at the edge").doesNotContain("Mark");
        assertThat(headers.get("x-echo-call-id").get(0).asText()).as("the runner's, not beside the caller's")
                .isEqualTo(id);
        assertThat(call.get("finishedAt").asText()).isNotEmpty();

        HttpResponse<String> listed = isola.admin(HttpRequest.newBuilder(isola.uri(
                "/system/functions/asy/calls?state=succeeded&limit=1000")));
        assertThat(listed.statusCode()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        TestIsola.json(listed).forEach(c -> ids.add(c.get("id").asText()));
        assertThat(ids).contains(id);
    }

    /** A synchronous caller cannot pass its call off as an attempt of the platform's: the headers are dropped. */
    @Test
    void aSynchronousCall_withAttemptHeaders_reachesTheFunctionWithoutThem() throws Exception {
        HttpResponse<String> r = isola.send(HttpRequest.newBuilder(isola.uri("/function/asy/echo"))
                .header("X-Call-Id", "forged").header("X-Isola-Attempt", "1")
                .header("X-Isola-Attempt-Mark", "guessed"));
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("X-Echo-Headers").orElseThrow()).doesNotContain("X-Call-Id",
                "X-Isola-Attempt");
    }

    @Test
    void failingCall_isRetriedWithBackoff_untilItSucceeds() {
        String id = accepted("asy", "/flaky?fails=2&key=" + System.nanoTime());
        JsonNode call = awaitState(id, "succeeded");
        assertThat(call.get("attempts").asInt()).isEqualTo(3);
        assertThat(call.get("result").get("body").asText()).isEqualTo("recovered after 2");
    }

    @Test
    void callThatKeepsFailing_endsFailed_andIsListedAsADeadLetter() {
        String id = accepted("asy-one", "/status?code=500");
        JsonNode call = awaitState(id, "failed");
        assertThat(call.get("attempts").asInt()).as("maxAttempts").isEqualTo(2);
        assertThat(call.get("result").get("status").asInt()).isEqualTo(500);
        HttpResponse<String> dead = isola.admin(HttpRequest.newBuilder(isola.uri(
                "/system/functions/asy-one/calls?state=failed")));
        List<String> ids = new ArrayList<>();
        TestIsola.json(dead).forEach(c -> ids.add(c.get("id").asText()));
        assertThat(ids).contains(id);
    }

    @Test
    void asyncTimeout_boundsTheWholeAnswer_notOnlyItsHead() {
        deploy("asy-slow", "async: {maxAttempts: 1, timeout: 1s}");
        long begun = System.nanoTime();
        JsonNode call = awaitState(accepted("asy-slow", "/trickle?ms=20000"), "failed");
        assertThat(call.get("error").asText()).contains("no answer within 1000 ms", "async.timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - begun)).as("long before the answer would have ended")
                .isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void clientError_isNotRetried() {
        JsonNode call = awaitState(accepted("asy", "/status?code=400"), "failed");
        assertThat(call.get("attempts").asInt()).isEqualTo(1);
        assertThat(call.get("result").get("status").asInt()).isEqualTo(400);
    }

    @Test
    void idempotencyKey_namesTheFirstCall() {
        String key = "order-" + System.nanoTime();
        String first = accepted("asy", "/echo", "Idempotency-Key", key);
        String again = accepted("asy", "/echo", "Idempotency-Key", key);
        String otherFunction = accepted("asy-one", "/echo", "Idempotency-Key", key);
        assertThat(again).isEqualTo(first);
        assertThat(otherFunction).isNotEqualTo(first);
        awaitState(first, "succeeded");
        assertThat(accepted("asy", "/echo", "Idempotency-Key", key)).as("also once it ran").isEqualTo(first);
    }

    @Test
    void callback_getsTheResult_fromAnAllowedHost() throws InterruptedException {
        String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/cb";
        String id = accepted("asy", "/echo", "X-Callback-Url", url);
        Map<String, String> delivered = callbackOf(id);
        assertThat(delivered).containsEntry("status", "201")
                .containsEntry("state", "succeeded").containsEntry("body", "echo");
        JsonNode call = Await.until(Duration.ofSeconds(10), () -> TestIsola.json(callResponse(id)),
                c -> c.has("callbackOutcome"), "the callback's outcome");
        assertThat(call.get("callbackOutcome").asText()).isEqualTo("delivered (200)");
    }

    @Test
    void callback_toAHostNotAllowed_orToTheAdminListener_isRefused() {
        HttpResponse<String> elsewhere = submit("asy", "/", "X-Callback-Url", "http://192.0.2.1/cb");
        assertThat(elsewhere.statusCode()).isEqualTo(400);
        assertThat(elsewhere.body()).contains("callback_not_allowed", "asyncCallbackHosts");
        String admin = isola.uri("/system/functions").toString();
        HttpResponse<String> toAdmin = submit("asy", "/", "X-Callback-Url", admin);
        assertThat(toAdmin.statusCode()).as(toAdmin.body()).isEqualTo(400);
        assertThat(toAdmin.body()).contains("callback_not_allowed", "admin listener");
        // A name could resolve elsewhere when checked and to the admin listener when the result goes.
        HttpResponse<String> byName = submit("asy", "/", "X-Callback-Url",
                "http://localhost:" + isola.uri("/system/functions").getPort() + "/cb");
        assertThat(byName.statusCode()).as(byName.body()).isEqualTo(400);
        assertThat(byName.body()).contains("callback_not_allowed", "by address");
        HttpResponse<String> notUrl = submit("asy", "/", "X-Callback-Url", "ftp://127.0.0.1/x");
        assertThat(notUrl.statusCode()).isEqualTo(400);
    }

    @Test
    void queuedCall_canBeCancelled_aRunningOneCannot() {
        deploy("asy-cancel", "async: {concurrency: 1}");
        String running = accepted("asy-cancel", "/sleep?ms=3000");
        String queued = accepted("asy-cancel", "/sleep?ms=10");
        awaitState(running, "running");
        HttpResponse<String> cancel = isola.admin(HttpRequest.newBuilder(isola.uri("/system/calls/" + queued))
                .DELETE());
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(204);
        assertThat(callResponse(queued).statusCode()).isEqualTo(404);
        HttpResponse<String> busy = isola.admin(HttpRequest.newBuilder(isola.uri("/system/calls/" + running))
                .DELETE());
        assertThat(busy.statusCode()).isEqualTo(409);
        assertThat(busy.body()).contains("call_not_cancellable", "running");
        awaitState(running, "succeeded");
    }

    @Test
    void asyncCalls_takeAtMostHalfTheSlots_soSynchronousCallsAreServed() {
        HttpResponse<String> r = isola.deploy("asy-share", PROBE, "name: asy-share\nruntime: go\n"
                + "scaling: {maxInstances: 2, concurrency: 1}\n");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(accepted("asy-share", "/sleep?ms=1500"));
        }
        awaitState(ids.getFirst(), "running");
        HttpResponse<String> sync = isola.get("/function/asy-share/");
        assertThat(sync.statusCode()).as("the other slot is the synchronous callers'").isEqualTo(200);
        HttpResponse<String> running = isola.admin(HttpRequest.newBuilder(isola.uri(
                "/system/functions/asy-share/calls?state=running")));
        assertThat(TestIsola.json(running).size()).as("one attempt at a time: half of two slots").isEqualTo(1);
        ids.forEach(id -> awaitState(id, "succeeded"));
    }

    @Test
    void deletingTheFunction_endsItsQueuedCalls_andTellsTheirCallbacks() throws InterruptedException {
        deploy("asy-gone", "async: {concurrency: 1}");
        String running = accepted("asy-gone", "/sleep?ms=1500");
        String queued = accepted("asy-gone", "/echo", "X-Callback-Url",
                "http://127.0.0.1:" + receiver.getAddress().getPort() + "/cb");
        // Running in the queue's sense is not enough: the call must be in an instance, which a delete waits for.
        Await.until(Duration.ofSeconds(60), () -> isola.instances().stream()
                .anyMatch(i -> i.get("function").asText().equals("asy-gone") && i.get("inFlight").asInt() > 0),
                "the first call to be served");
        HttpResponse<String> r = isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/asy-gone"))
                .DELETE());
        assertThat(r.statusCode()).isEqualTo(204);
        JsonNode call = awaitState(queued, "failed");
        assertThat(call.get("error").asText()).contains("deleted");
        assertThat(callbackOf(queued)).containsEntry("state", "failed");
        awaitState(running, "succeeded"); // a delete lets the calls in flight finish
    }

    @Test
    void aCallRunningAsItsFunctionIsDeleted_isNotRetriedOnAFunctionOfTheSameNameDeployedAfter() {
        deploy("asy-again", "async: {concurrency: 1, maxAttempts: 5}");
        String running = accepted("asy-again", "/status?code=503&ms=1500");
        Await.until(Duration.ofSeconds(60), () -> isola.instances().stream()
                .anyMatch(i -> i.get("function").asText().equals("asy-again") && i.get("inFlight").asInt() > 0),
                "the call to be served");
        assertThat(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/asy-again")).DELETE())
                .statusCode()).isEqualTo(204);
        deploy("asy-again", "async: {concurrency: 1, maxAttempts: 5}");

        JsonNode call = awaitState(running, "failed");
        assertThat(call.get("attempts").asInt()).isEqualTo(1);
        assertThat(call.get("error").asText()).contains("was deleted while the call ran");
    }

    /** The callback delivered for call {@code id} (others' are dropped: each test waits for its own). */
    private Map<String, String> callbackOf(String id) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            Map<String, String> told = callbacks.poll(1, TimeUnit.SECONDS);
            if (told != null && told.get("id").equals(id)) {
                return told;
            }
        }
        throw new AssertionError("no callback for call " + id + " within 60 s");
    }

    @Test
    void bodies_overAsyncMaxBodyBytes_are413_andBodiesPastAsyncBufferBytes_429_untilTheirCallersLeave()
            throws IOException {
        assertThat(rawHead("POST /async-function/asy/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n"))
                .as("over asyncMaxBodyBytes (1 MiB), under maxBodyBytes").startsWith("HTTP/1.1 413");
        List<Socket> stalled = new ArrayList<>();
        BodyBuffer buffer = isola.server().async().bodies();
        try {
            for (int i = 0; i < 3; i++) { // each holds 1 MiB less a byte of the 3 MiB buffer, and stops there
                Socket socket = new Socket("127.0.0.1", isola.server().port());
                stalled.add(socket);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /async-function/asy/ HTTP/1.1\r\nHost: x\r\nContent-Length: " + (1 << 20)
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(new byte[(1 << 20) - 1]);
                out.flush();
            }
            Await.until(Duration.ofSeconds(30), buffer::held, held -> held == 3L * ((1 << 20) - 1),
                    "the stalled bodies to be read");
            HttpResponse<String> refused = submit("asy", "/");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
            assertThat(refused.body()).contains("saturated", "asyncBufferBytes");
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
        Await.until(Duration.ofSeconds(30), buffer::held, held -> held == 0,
                "the buffer to be freed once the stalled callers left");
        assertThat(submit("asy", "/").statusCode()).isEqualTo(202);
    }

    @Test
    void refusals_haveClearErrors() throws IOException {
        HttpResponse<String> unknown = submit("nope", "/");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("function_not_found", "nope");
        assertThat(submit("Bad_Name", "/").statusCode()).isEqualTo(404);
        assertThat(callResponse("not-a-call-id").statusCode()).isEqualTo(404);
        HttpResponse<String> missing = callResponse("00000000-0000-4000-8000-000000000000");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("call_not_found");
        HttpResponse<String> badState = isola.admin(HttpRequest.newBuilder(isola.uri(
                "/system/functions/asy/calls?state=done")));
        assertThat(badState.statusCode()).isEqualTo(400);
        assertThat(badState.body()).contains("invalid_parameter");
        assertThat(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/asy/calls?limit=0")))
                .statusCode()).isEqualTo(400);
        assertThat(rawHead("POST /async-function/asy/ HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"))
                .as("a body declared over maxBodyBytes").startsWith("HTTP/1.1 413");
    }

    @Test
    void metrics_countAttemptsAndOutcomes() {
        awaitState(accepted("asy", "/"), "succeeded");
        String metrics = isola.admin(HttpRequest.newBuilder(isola.uri("/metrics"))).body();
        assertThat(metrics).contains("isola_async_attempts_total{function=\"asy\"}",
                "isola_async_calls_total{function=\"asy\",state=\"succeeded\"}",
                "isola_node_budget_instances{kind=\"max\"} 4096", "isola_node_budget_memory_bytes{kind=\"used\"}");
    }

    /** Sends {@code head} on a socket of its own and returns the status line of the answer. */
    private String rawHead(String head) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", isola.server().port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] answer = socket.getInputStream().readNBytes(12);
            return new String(answer, StandardCharsets.US_ASCII);
        }
    }
}
