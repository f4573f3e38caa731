package dev.isola.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class LogsCommandTest {
    private static final String LOGS = "hello-7f3a9c listening on :8080\nhello-7f3a9c GET /\n";

    private final FakeIsolaServer server = FakeIsolaServer.start();

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void logs_default_asksForTail200AndPrintsText() {
        server.on("GET", "/system/functions/hello/logs", 200, "text/plain; charset=utf-8",
                LOGS.getBytes(StandardCharsets.UTF_8), Map.of());

        IsolaCli.Result result = IsolaCli.run("logs", "hello", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo(LOGS);
        assertThat(server.lastRequest().uri().getQuery()).isEqualTo("tail=200");
    }

    @Test
    void logs_tail_isPassedToServer() {
        server.on("GET", "/system/functions/hello/logs", 200, "text/plain", "a\nb".getBytes(StandardCharsets.UTF_8),
                Map.of());

        IsolaCli.Result result = IsolaCli.run("logs", "hello", "--tail", "2", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("a\nb\n");
        assertThat(server.lastRequest().uri().getQuery()).isEqualTo("tail=2");
    }

    @Test
    void logs_since_isPassedOn_andAMalformedOneIsAUsageError() {
        server.on("GET", "/system/functions/hello/logs", 200, "text/plain", "a\n".getBytes(StandardCharsets.UTF_8),
                java.util.Map.of());

        IsolaCli.Result result = IsolaCli.run("logs", "hello", "--since", "10m", "--admin-url", server.url(),
                "--token", "t");
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(server.lastRequest().uri().getQuery()).isEqualTo("tail=200&since=10m");

        IsolaCli.Result bad = IsolaCli.run("logs", "hello", "--since", "yesterday", "--admin-url", server.url(),
                "--token", "t");
        assertThat(bad.exitCode()).isEqualTo(2);
    }

    @Test
    void logs_follow_printsTheEventsDataLines() {
        server.on("GET", "/system/functions/hello/logs", 200, "text/event-stream",
                ": following\n\ndata: 2026-12-04T12:00:00Z hello-7f3a9c GET /\n\n: ping\n\n"
                        .getBytes(StandardCharsets.UTF_8), Map.of());

        IsolaCli.Result result = IsolaCli.run("logs", "-f", "hello", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).isEqualTo("2026-12-04T12:00:00Z hello-7f3a9c GET /\n");
        assertThat(server.lastRequest().uri().getQuery()).isEqualTo("follow=true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "10001", "many"})
    void logs_tailOutOfRange_isUsageError(String tail) {
        IsolaCli.Result result = IsolaCli.run("logs", "hello", "--tail", tail, "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(server.requests()).isEmpty();
    }
}
