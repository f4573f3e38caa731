package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.host.FileTrees;
import dev.isola.testing.Await;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code isola serve} as the operator runs it, in a process of its own: the first SIGTERM drains (a call in flight
 * keeps it waiting, up to the 30 s drain timeout), the second cuts the drain short; the server then stops the
 * instance under the call, says so, and exits 0 at once.
 */
class SecondSigtermTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aSecondSigterm_cutsTheDrainShort_andStillStopsEveryInstance() throws Exception {
        Path state = Files.createTempDirectory("isola-test-sigterm-");
        Path output = state.resolveSibling(state.getFileName() + ".out");
        int port = freePort();
        int adminPort = freePort();
        Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                IsolaCommand.class.getName(), "serve", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--admin-port", Integer.toString(adminPort), "--state-dir", state.toString(), "--backend", "process",
                "--isolation-floor", "none")
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            Await.until(Duration.ofSeconds(60), () -> Files.readString(output).contains("Isola is serving"),
                    "the server to serve");
            String token = Files.readString(state.resolve("admin-token")).strip();
            HttpResponse<String> deployed = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
                            + "/system/functions/slow")).header("Authorization", "Bearer " + token)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(TestIsola.zip(TestIsola.FUNCTIONS.resolve("probe"),
                            "name: slow\nruntime: go\n"))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
            CompletableFuture<HttpResponse<String>> call = http.sendAsync(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + port + "/function/slow/sleep?ms=60000")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode instance = Await.until(Duration.ofSeconds(60), () -> instances(adminPort, token),
                    list -> list.size() == 1 && list.getFirst().path("inFlight").asInt() == 1,
                    "the call to be in flight").getFirst();
            ProcessHandle function = ProcessHandle.of(instance.get("pid").asLong()).orElseThrow();

            server.destroy(); // SIGTERM: the drain waits for the call
            Await.until(Duration.ofSeconds(10), () -> Files.readString(output).contains("Stopping Isola"),
                    "the drain to begin");
            assertThat(server.waitFor(1, TimeUnit.SECONDS)).as("still draining").isFalse();
            server.destroy(); // the second SIGTERM

            assertThat(server.waitFor(15, TimeUnit.SECONDS)).as("exited soon after the second SIGTERM").isTrue();
            assertThat(server.exitValue()).isZero();
            assertThat(Files.readString(output)).contains("cutting the drain short", "Isola stopped");
            assertThat(function.isAlive()).as("the function's process, stopped under its call").isFalse();
            assertThat(call.handle((r, e) -> e != null || r.statusCode() != 200).get(10, TimeUnit.SECONDS))
                    .as("the cut call got no 200").isTrue();
        } finally {
            if (server.isAlive()) {
                server.destroyForcibly().waitFor();
            }
            FileTrees.deleteRecursively(state);
            Files.deleteIfExists(output);
        }
    }

    private List<JsonNode> instances(int adminPort, String token) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
                + "/system/instances")).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
        List<JsonNode> list = new ArrayList<>();
        if (r.statusCode() == 200) {
            JSON.readTree(r.body()).forEach(list::add);
        }
        return list;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
