package dev.isola.function;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.testing.Await;
import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Handler mode end to end: deployed through the admin API, built as the server builds, called through the gateway
 * on the process backend, stopped by scaling to zero and by DELETE (the instances' SIGTERM path).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HandlerModeTest {
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("process");

    private TestIsola isola;

    @BeforeAll
    void start() {
        isola = SERVER.isola();
    }

    private void deploy(String name, String runtime, String extra) {
        HttpResponse<String> r = isola.deployHandler(name, runtime, extra);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    private List<JsonNode> instances(String name) {
        return isola.instances().stream().filter(i -> i.get("function").asText().equals(name)).toList();
    }

    private String logs(String name) {
        return isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/" + name + "/logs?tail=50"))).body();
    }

    @ParameterizedTest
    @ValueSource(strings = {"go", "node", "python"})
    void handler_seesMethodPathQueryHeadersAndBody(String runtime) {
        String name = "h-echo-" + runtime;
        deploy(name, runtime, "");

        HttpResponse<String> r = isola.send(HttpRequest.newBuilder(isola.uri("/function/" + name + "/a/b?c=d&e=%20f"))
                .header("X-Test", "yes").method("PATCH", HttpRequest.BodyPublishers.ofString("payload")));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode echo = TestIsola.json(r);
        assertThat(echo.get("method").asText()).isEqualTo("PATCH");
        assertThat(echo.get("path").asText()).isEqualTo("/a/b");
        assertThat(echo.get("query").asText()).isEqualTo("c=d&e=%20f");
        assertThat(echo.get("test").asText()).isEqualTo("yes");
        assertThat(echo.get("body").asText()).isEqualTo("payload");
        Await.until(Duration.ofSeconds(10), () -> logs(name), l -> l.contains("fn=" + name + " inst=")
                && l.contains(" listening on "), "the start-up line in the function's logs");
    }

    @Test
    void deploy_ofAServerAsGoHandler_is422BuildFailedNamingTheFile() {
        HttpResponse<String> r = isola.deploy("h-main", TestIsola.FUNCTIONS.resolve("probe"),
                "name: h-main\nruntime: go\nhandler: Handle\n");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat(TestIsola.json(r).get("error").asText()).isEqualTo("build_failed");
        assertThat(TestIsola.json(r).get("message").asText()).startsWith("main.go declares package main");
    }

    @ParameterizedTest
    @ValueSource(strings = {"node", "python"})
    void streamedResponseBody_reachesTheCallerChunkByChunk(String runtime) throws Exception {
        String name = "h-stream-" + runtime;
        deploy(name, runtime, "scaling: {maxInstances: 1}\n");

        HttpResponse<InputStream> r = isola.http().send(HttpRequest.newBuilder(isola.uri("/function/" + name + "/stream"))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader body = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            // The second chunk waits for /release: reading the first one before that shows the body streamed.
            String first = CompletableFuture.supplyAsync(() -> readLine(body)).get(30, TimeUnit.SECONDS);
            assertThat(first).isEqualTo("first");
            assertThat(isola.get("/function/" + name + "/release").body()).isEqualTo("released");
            assertThat(readLine(body)).isEqualTo("second");
            assertThat(readLine(body)).isNull();
        }
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void node_thrownErrorOrNonResponse_is500_andTheInstanceKeepsServing() {
        deploy("h-throw", "node", "scaling: {maxInstances: 1}\n");
        HttpResponse<String> ok = isola.get("/function/h-throw/");
        String instance = ok.headers().firstValue("X-Isola-Instance").orElseThrow();

        HttpResponse<String> thrown = isola.get("/function/h-throw/throw");
        HttpResponse<String> notResponse = isola.get("/function/h-throw/not-a-response");
        HttpResponse<String> after = isola.get("/function/h-throw/");

        assertThat(thrown.statusCode()).isEqualTo(500);
        assertThat(thrown.body()).isEqualTo("internal error\n").doesNotContain("on purpose");
        assertThat(notResponse.statusCode()).isEqualTo(500);
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.headers().firstValue("X-Isola-Instance")).hasValue(instance);
        String logs = Await.until(Duration.ofSeconds(10), () -> logs("h-throw"),
                l -> l.contains("not a Response"), "both failures in the function's logs");
        assertThat(logs).contains("Error: handler failed on purpose").contains("handler.mjs");
    }

    @Test
    void python_raisingApplication_is500_andTheInstanceKeepsServing() {
        deploy("h-raise", "python", "scaling: {maxInstances: 1}\n");
        HttpResponse<String> ok = isola.get("/function/h-raise/");
        String instance = ok.headers().firstValue("X-Isola-Instance").orElseThrow();

        HttpResponse<String> raised = isola.get("/function/h-raise/throw");
        HttpResponse<String> after = isola.get("/function/h-raise/");

        assertThat(raised.statusCode()).isEqualTo(500);
        assertThat(raised.body()).doesNotContain("on purpose");
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.headers().firstValue("X-Isola-Instance")).hasValue(instance);
        String logs = Await.until(Duration.ofSeconds(10), () -> logs("h-raise"),
                l -> l.contains("RuntimeError: handler failed on purpose"), "the traceback in the function's logs");
        assertThat(logs).contains("main.py");
    }

    @Test
    void go_panickingHandler_is500_andTheInstanceKeepsServing() {
        deploy("h-panic", "go", "scaling: {maxInstances: 1}\n");
        HttpResponse<String> ok = isola.get("/function/h-panic/");
        String instance = ok.headers().firstValue("X-Isola-Instance").orElseThrow();

        HttpResponse<String> panicked = isola.get("/function/h-panic/panic");
        HttpResponse<String> after = isola.get("/function/h-panic/");

        assertThat(panicked.statusCode()).isEqualTo(500);
        assertThat(panicked.body()).isEqualTo("internal error\n");
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.headers().firstValue("X-Isola-Instance")).hasValue(instance);
        Await.until(Duration.ofSeconds(10), () -> logs("h-panic"),
                l -> l.contains("handler panicked: handler failed on purpose"), "the panic in the function's logs");
    }

    @ParameterizedTest
    @ValueSource(strings = {"go", "node", "python"})
    void idleInstance_scalesToZero_andDeleteStopsIt(String runtime) {
        String name = "h-stop-" + runtime;
        deploy(name, runtime, "scaling: {idleTimeout: 1s}\n");
        assertThat(isola.get("/function/" + name + "/").statusCode()).isEqualTo(200);

        Await.until(Duration.ofSeconds(15), () -> instances(name), List::isEmpty, name + " to scale to zero");
        assertThat(logs(name)).doesNotContain("stopped serving").doesNotContain("request failed");

        assertThat(isola.get("/function/" + name + "/").statusCode()).isEqualTo(200);
        HttpResponse<String> del = isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/" + name)).DELETE());
        assertThat(del.statusCode()).isEqualTo(204);
        assertThat(instances(name)).isEmpty();
    }

    private static String readLine(BufferedReader reader) {
        try {
            return reader.readLine();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
