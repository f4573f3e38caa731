package dev.isola.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class InvocationsCommandTest {
    private static final String CALLS = """
            [{"start":"2026-12-04T12:00:01Z","durationMicros":1500,"coldStart":false,"status":200,"backend":"runc",\
            "instance":"hello.7f3a9c"},
             {"start":"2026-12-04T12:00:00Z","durationMicros":61000,"coldStart":true,"status":200,"backend":"runc",\
            "instance":"hello.7f3a9c"}]""";

    private final FakeIsolaServer server = FakeIsolaServer.start();

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void invocations_printsATableNewestFirst_askingForTheLimit() {
        server.on("GET", "/system/functions/hello/invocations", 200, "application/json",
                CALLS.getBytes(StandardCharsets.UTF_8), Map.of());

        IsolaCli.Result result = IsolaCli.run("invocations", "hello", "-n", "2", "--admin-url", server.url(),
                "--token", "t");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(server.lastRequest().uri().getQuery()).isEqualTo("limit=2");
        assertThat(result.out().lines().toList()).hasSize(3);
        assertThat(result.out().lines().toList().get(1)).contains("2026-12-04T12:00:01Z", "1.5", "warm", "200",
                "hello.7f3a9c");
        assertThat(result.out().lines().toList().get(2)).contains("61.0", "cold");
    }

    @Test
    void invocations_limitOutOfRange_isUsageError() {
        IsolaCli.Result result = IsolaCli.run("invocations", "hello", "-n", "0", "--admin-url", server.url(),
                "--token", "t");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(server.requests()).isEmpty();
    }
}
