package dev.isola.async;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.host.FileTrees;
import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.ServerProcess;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * At least once, through real server processes: calls accepted (202) before a SIGKILL, queued or running, all end
 * {@code succeeded} or {@code failed} after the restart; and a SIGTERM lets a running attempt finish before the
 * server stops, so that it is not run again.
 */
@NoLeaks
class AsyncCrashTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PROBE = TestIsola.FUNCTIONS.resolve("probe");
    private static final String MANIFEST = "name: crash\nruntime: go\nasync: {concurrency: 1, maxAttempts: 2}\n";

    @Test
    void callsAcceptedBeforeASigkill_allFinishAfterTheRestart() throws Exception {
        Path state = Files.createTempDirectory("isola-test-async-crash-");
        try {
            List<String> ids = new ArrayList<>();
            try (ServerProcess first = ServerProcess.start(state, "process")) {
                assertThat(first.deploy("crash", PROBE, MANIFEST).statusCode()).isEqualTo(201);
                for (int i = 0; i < 6; i++) {
                    ids.add(submit(first, i % 3 == 2 ? "/status?code=500" : "/sleep?ms=700"));
                }
                Await.until(Duration.ofSeconds(60), () -> state(first, ids.getFirst()).equals("running"),
                        "the first call to run");
                first.process().destroyForcibly().waitFor(); // SIGKILL: between the 202s and the runs, and during one
            }
            try (ServerProcess second = ServerProcess.start(state, "process")) {
                for (String id : ids) {
                    Await.until(Duration.ofSeconds(90), () -> Set.of("succeeded", "failed").contains(state(second, id)),
                            "call " + id + " to finish after the restart");
                }
                Set<String> outcomes = new HashSet<>();
                for (String id : ids) {
                    JsonNode call = call(second, id);
                    outcomes.add(call.get("path").asText() + " " + call.get("state").asText());
                }
                assertThat(outcomes).containsExactlyInAnyOrder("/sleep?ms=700 succeeded", "/status?code=500 failed");
                stop(second);
            }
        } finally {
            FileTrees.deleteRecursively(state);
        }
    }

    @Test
    void sigterm_letsARunningAttemptFinish() throws Exception {
        Path state = Files.createTempDirectory("isola-test-async-drain-");
        try {
            String id;
            try (ServerProcess first = ServerProcess.start(state, "process")) {
                assertThat(first.deploy("crash", PROBE, MANIFEST).statusCode()).isEqualTo(201);
                id = submit(first, "/sleep?ms=2000");
                Await.until(Duration.ofSeconds(60), () -> state(first, id).equals("running"), "the call to run");
                stop(first);
            }
            try (ServerProcess second = ServerProcess.start(state, "process")) {
                JsonNode call = call(second, id);
                assertThat(call.get("state").asText()).isEqualTo("succeeded");
                assertThat(call.get("attempts").asInt()).as("not run again").isEqualTo(1);
                stop(second);
            }
        } finally {
            FileTrees.deleteRecursively(state);
        }
    }

    private static String submit(ServerProcess server, String rest) throws Exception {
        HttpResponse<String> r = server.http().send(HttpRequest.newBuilder(server.uri("/async-function/crash" + rest))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        return r.headers().firstValue("X-Call-Id").orElseThrow();
    }

    private static JsonNode call(ServerProcess server, String id) throws Exception {
        HttpResponse<String> r = server.admin(HttpRequest.newBuilder(server.adminUri("/system/calls/" + id)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String state(ServerProcess server, String id) throws Exception {
        return call(server, id).get("state").asText();
    }

    /** SIGTERM, and a clean exit. */
    private static void stop(ServerProcess server) throws InterruptedException {
        server.process().destroy();
        assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(server.process().exitValue()).isZero();
    }
}
