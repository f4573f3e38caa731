package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.host.FileTrees;
import dev.isola.testing.Await;
import dev.isola.testing.ServerProcess;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code isola serve} as the operator runs it, in a process of its own: the first SIGTERM drains (a call in flight
 * keeps it waiting, up to the 30 s drain timeout), the second cuts the drain short; the server then stops the
 * instance under the call, says so, and exits 0 at once.
 */
class SecondSigtermTest {
    @Test
    void aSecondSigterm_cutsTheDrainShort_andStillStopsEveryInstance() throws Exception {
        Path state = Files.createTempDirectory("isola-test-sigterm-");
        try (ServerProcess server = ServerProcess.start(state, "process")) {
            HttpResponse<String> deployed = server.deploy("slow", TestIsola.FUNCTIONS.resolve("probe"),
                    "name: slow\nruntime: go\n");
            assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
            CompletableFuture<HttpResponse<String>> call = server.http().sendAsync(HttpRequest.newBuilder(
                    server.uri("/function/slow/sleep?ms=60000")).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode instance = Await.until(Duration.ofSeconds(60), server::instances,
                    list -> list.size() == 1 && list.getFirst().path("inFlight").asInt() == 1,
                    "the call to be in flight").getFirst();
            ProcessHandle function = ProcessHandle.of(instance.get("pid").asLong()).orElseThrow();
            Process process = server.process();

            process.destroy(); // SIGTERM: the drain waits for the call
            Await.until(Duration.ofSeconds(10), () -> server.output().contains("Stopping Isola"),
                    "the drain to begin");
            assertThat(process.waitFor(1, TimeUnit.SECONDS)).as("still draining").isFalse();
            process.destroy(); // the second SIGTERM

            assertThat(process.waitFor(15, TimeUnit.SECONDS)).as("exited soon after the second SIGTERM").isTrue();
            assertThat(process.exitValue()).isZero();
            assertThat(server.output()).contains("cutting the drain short", "Isola stopped")
                    .as("what the drain logs reaches the log: the JDK's own hook no longer closes it")
                    .contains("fn=slow: drain cut short with calls still running");
            assertThat(function.isAlive()).as("the function's process, stopped under its call").isFalse();
            assertThat(call.handle((r, e) -> e != null || r.statusCode() != 200).get(10, TimeUnit.SECONDS))
                    .as("the cut call got no 200").isTrue();
        } finally {
            FileTrees.deleteRecursively(state);
        }
    }
}
