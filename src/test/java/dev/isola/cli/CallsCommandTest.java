package dev.isola.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code isola invoke --async}, {@code isola call ID} and {@code isola calls NAME}. */
class CallsCommandTest {
    private static final String ID = "0f8b6c1e-3a54-4d7e-9a0b-2c1d3e4f5a6b";
    private static final String CALL = """
            {"id":"%s","function":"hello","method":"POST","path":"/orders?id=7","state":"succeeded",\
            "attempts":2,"submittedAt":"2026-12-04T12:00:00Z","finishedAt":"2026-12-04T12:00:03Z",\
            "callbackUrl":"http://hooks.local/r","callbackOutcome":"delivered (200)",\
            "result":{"status":200,"headers":{},"body":"done\\n","bodyTruncated":false}}""".formatted(ID);

    private final FakeIsolaServer server = FakeIsolaServer.start();

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void invokeAsync_queuesTheCall_andPrintsItsIdAlone() {
        server.on("POST", "/async-function/hello/orders", 202, "text/plain", new byte[0], Map.of("X-Call-Id", ID));

        IsolaCli.Result result = IsolaCli.run("invoke", "hello", "--async", "--path", "/orders?id=7", "-d", "x",
                "--callback-url", "http://hooks.local/r", "--url", server.url());

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out().strip()).isEqualTo(ID);
        assertThat(server.lastRequest().uri().getQuery()).isEqualTo("id=7");
        assertThat(server.lastRequest().headers().getFirst("X-Callback-Url")).isEqualTo("http://hooks.local/r");
    }

    @Test
    void callbackUrl_withoutAsync_isAUsageError() {
        IsolaCli.Result result = IsolaCli.run("invoke", "hello", "--callback-url", "http://x/", "--url", server.url());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void call_printsItsStateAndTheFunctionsAnswer() {
        server.on("GET", "/system/calls/" + ID, 200, CALL);

        IsolaCli.Result result = IsolaCli.run("call", ID, "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("succeeded after 2 attempt(s)", "POST /orders?id=7", "delivered (200)",
                "status    200", "done");
    }

    @Test
    void call_unknown_saysSo() {
        server.on("GET", "/system/calls/" + ID, 404,
                "{\"error\":\"call_not_found\",\"message\":\"No asynchronous call '" + ID + "'\"}");

        IsolaCli.Result result = IsolaCli.run("call", ID, "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("No asynchronous call");
    }

    @Test
    void calls_listsThemInATable_withTheStateAsked() {
        server.on("GET", "/system/functions/hello/calls", 200, "application/json",
                ("[" + CALL + "]").getBytes(StandardCharsets.UTF_8), Map.of());

        IsolaCli.Result result = IsolaCli.run("calls", "hello", "--state", "succeeded", "--admin-url", server.url(),
                "--token", "t");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(server.lastRequest().uri().getQuery()).isEqualTo("limit=100&state=succeeded");
        assertThat(result.out().lines().toList()).hasSize(2);
        assertThat(result.out().lines().toList().get(1)).contains(ID, "succeeded", "2", "200", "POST /orders?id=7");
    }
}
