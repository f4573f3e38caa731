package dev.isola.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.host.FileTrees;
import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.ServerProcess;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server killed (SIGKILL) while containers wait on standby: they outlive it, and the next server on the same state
 * directory deletes them before it makes standby sandboxes of its own; its clean stop leaves nothing. gVisor's are
 * started sandboxes whose program waits on the server's gate: with the server gone they end, the function unrun.
 */
@NoLeaks
class StandbyCrashTest {
    @ParameterizedTest
    @ValueSource(strings = {"runc", "runsc"})
    void standbySandboxesOfAKilledServer_areReapedByTheNextOne(String runtime) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (" + runtime + ")");
        Assumptions.assumeTrue(TestHost.runner().executables().find(runtime).isPresent(),
                runtime + " is not installed");
        Path state = Files.createTempDirectory("isola-test-standby-crash-");
        try {
            List<String> before;
            try (ServerProcess first = ServerProcess.start(state, runtime)) {
                HttpResponse<String> deployed = first.deploy("sb", Path.of("functions/go/hello"),
                        "name: sb\nruntime: go\nhandler: Handle\nscaling: {standby: 2}\n");
                assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
                before = awaitStandby(first, List.of());
                first.process().destroyForcibly().waitFor(); // SIGKILL: no clean-up at all
            }
            assertThat(containers(runtime)).as("standby containers outlive their server").containsAll(before);
            if (runtime.equals("runsc")) {
                for (String id : before) {
                    Await.until(Duration.ofSeconds(30), () -> status(runtime, id), "stopped"::equals,
                            "held sandbox " + id + " to end with its gate");
                }
                assertThat(Files.readString(state.resolve("run").resolve(before.getFirst()).resolve("console")))
                        .as("the function never ran (it prints as it listens)").doesNotContain("listening");
            }

            try (ServerProcess second = ServerProcess.start(state, runtime)) {
                assertThat(containers(runtime)).as("reaped at start-up").doesNotContainAnyElementsOf(before);
                awaitStandby(second, before);
                second.process().destroy(); // SIGTERM: a clean stop
                assertThat(second.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(second.process().exitValue()).isZero();
            }
            assertThat(containers(runtime)).as("nothing after the clean stop").isEmpty();
        } finally {
            FileTrees.deleteRecursively(state);
        }
    }

    /** Waits for two standby sandboxes of sb, none of them among {@code old}; their ids. */
    private static List<String> awaitStandby(ServerProcess server, List<String> old) {
        return Await.until(Duration.ofSeconds(90), () -> server.instances().stream()
                        .filter(i -> i.path("state").asText().equals("standby")).map(i -> i.get("id").asText())
                        .toList(), ids -> ids.size() == 2 && ids.stream().noneMatch(old::contains),
                "two new standby sandboxes of sb");
    }

    private static List<String> containers(String runtime) throws Exception {
        if (!Files.isDirectory(Path.of(root(runtime)))) {
            return List.of();
        }
        String out = TestHost.runner().run(List.of(runtime, "--root", root(runtime), "list", "--quiet"));
        return out.lines().map(String::strip).filter(l -> !l.isEmpty() && l.startsWith("sb.")).toList();
    }

    private static String status(String runtime, String id) throws Exception {
        return new ObjectMapper().readTree(TestHost.runner().run(List.of(runtime, "--root", root(runtime), "state",
                id))).path("status").asText();
    }

    private static String root(String runtime) {
        return "/run/isola/" + runtime;
    }
}
