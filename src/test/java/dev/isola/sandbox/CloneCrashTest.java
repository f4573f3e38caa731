package dev.isola.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.config.IsolaConfig;
import dev.isola.host.FileTrees;
import dev.isola.server.HostBackends;
import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.ServerProcess;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server killed (SIGKILL) while a booted microVM and a clone of its template run: both QEMUs outlive it, and the
 * next server on the same state directory stops them at start-up; its clean stop leaves nothing (the leak checks).
 */
@NoLeaks
class CloneCrashTest {
    @Test
    void vmsAndClonesOfAKilledServer_areReapedByTheNextOne() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (taps, cgroups)");
        HostBackends.of(IsolaConfig.defaults().withBuildCache(TestIsola.sharedCacheDir()))
                .prepare(List.of("microvm"), System.out::println);
        Path state = Files.createTempDirectory("isola-test-clone-crash-");
        try {
            List<ProcessHandle> vms;
            try (ServerProcess first = ServerProcess.start(state, "microvm")) {
                HttpResponse<String> deployed = first.deploy("cl", TestIsola.FUNCTIONS.resolve("probe"),
                        "name: cl\nruntime: go\nscaling: {concurrency: 1, maxInstances: 2}\n");
                assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
                assertThat(call(first, "/function/cl/").statusCode()).isEqualTo(200); // boots; a template follows
                Await.until(Duration.ofMinutes(3), () -> templates(state), t -> !t.isEmpty(), "cl's template");
                // Two calls at once: the booted VM takes one, a clone starts for the other.
                var a = CompletableFuture.supplyAsync(() -> call(first, "/function/cl/sleep?ms=1500"));
                var b = CompletableFuture.supplyAsync(() -> call(first, "/function/cl/sleep?ms=1500"));
                assertThat(List.of(a.join().statusCode(), b.join().statusCode())).containsOnly(200);
                List<JsonNode> live = first.instances();
                assertThat(live).extracting(i -> i.get("start").asText()).containsExactlyInAnyOrder("cold", "clone");
                vms = live.stream().map(i -> ProcessHandle.of(i.get("pid").asLong()).orElseThrow()).toList();
                first.process().destroyForcibly().waitFor(); // SIGKILL: no clean-up at all
            }
            assertThat(vms).as("the VMs outlive their server").allMatch(ProcessHandle::isAlive);

            try (ServerProcess second = ServerProcess.start(state, "microvm")) {
                assertThat(vms).as("stopped at start-up").noneMatch(ProcessHandle::isAlive);
                second.process().destroy(); // SIGTERM: a clean stop
                assertThat(second.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(second.process().exitValue()).isZero();
            }
        } finally {
            FileTrees.deleteRecursively(state);
        }
    }

    private static HttpResponse<String> call(ServerProcess server, String path) {
        try {
            return server.http().send(HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Path> templates(Path state) throws Exception {
        try (var paths = Files.walk(state.resolve("functions"))) {
            return paths.filter(p -> p.getFileName().toString().startsWith("template-")
                    && Files.isRegularFile(p.resolve("state"))).toList();
        }
    }
}
