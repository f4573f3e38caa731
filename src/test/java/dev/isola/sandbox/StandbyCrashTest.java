package dev.isola.sandbox;

import dev.isola.host.FileTrees;
import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.ServerProcess;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server killed (SIGKILL) while runc containers wait on standby: they outlive it, and the next server on the same
 * state directory deletes them before it makes standby sandboxes of its own; its clean stop leaves nothing.
 */
@NoLeaks
class StandbyCrashTest {
    private static final String RUNC_ROOT = "/run/isola/runc";

    @Test
    void standbySandboxesOfAKilledServer_areReapedByTheNextOne() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (runc)");
        Assumptions.assumeTrue(TestHost.runner().executables().find("runc").isPresent(), "runc is not installed");
        Path state = Files.createTempDirectory("isola-test-standby-crash-");
        try {
            List<String> before;
            try (ServerProcess first = ServerProcess.start(state, "runc")) {
                HttpResponse<String> deployed = first.deploy("sb", Path.of("functions/go/hello"),
                        "name: sb\nruntime: go\nhandler: Handle\nscaling: {standby: 2}\n");
                assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
                before = awaitStandby(first, List.of());
                first.process().destroyForcibly().waitFor(); // SIGKILL: no clean-up at all
            }
            assertThat(containers()).as("standby containers outlive their server").containsAll(before);

            try (ServerProcess second = ServerProcess.start(state, "runc")) {
                assertThat(containers()).as("reaped at start-up").doesNotContainAnyElementsOf(before);
                awaitStandby(second, before);
                second.process().destroy(); // SIGTERM: a clean stop
                assertThat(second.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(second.process().exitValue()).isZero();
            }
            assertThat(containers()).as("nothing after the clean stop").isEmpty();
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

    private static List<String> containers() throws Exception {
        if (!Files.isDirectory(Path.of(RUNC_ROOT))) {
            return List.of();
        }
        Process list = new ProcessBuilder("runc", "--root", RUNC_ROOT, "list", "--quiet").start();
        String out = new String(list.getInputStream().readAllBytes());
        assertThat(list.waitFor()).isZero();
        return out.lines().map(String::strip).filter(l -> !l.isEmpty() && l.startsWith("sb.")).toList();
    }
}
