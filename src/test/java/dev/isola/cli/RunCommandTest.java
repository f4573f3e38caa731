package dev.isola.cli;

import dev.isola.testing.Await;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code isola run DIR} as a developer uses it, in a JVM of its own: the function answers, an edit is served after
 * the rebuild, a broken edit leaves the last good version serving, and Ctrl-C (SIGINT) stops it cleanly and removes
 * its state.
 */
class RunCommandTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void run_servesTheDirectory_rebuildsOnChange_andStopsCleanly() throws Exception {
        assertThat(IsolaCli.run("new", "loop", "--runtime", "node", "--dir", dir.toString()).exitCode()).isZero();
        Path fn = dir.resolve("loop");
        Set<Path> statesBefore = runStates();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path output = dir.resolve("run.out");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                IsolaCommand.class.getName(), "run", fn.toString(), "--port", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("ISOLA_BUILD_CACHE", TestIsola.sharedCacheDir().toString());
        Process run = builder.start();
        try {
            Await.until(Duration.ofSeconds(90), () -> Files.readString(output).contains("Serving loop at")
                    || !run.isAlive(), "isola run to serve");
            URI uri = URI.create("http://127.0.0.1:" + port + "/function/loop/?name=dev");
            assertThat(body(uri)).isEqualTo("Hello, dev!\n");

            Path handler = fn.resolve("handler.mjs");
            Files.writeString(handler, Files.readString(handler).replace("Hello", "Howdy"));
            Await.until(Duration.ofSeconds(60), () -> body(uri), "Howdy, dev!\n"::equals, "the edit to be served");

            Files.writeString(handler, "export default async (request) => {\n");
            Await.until(Duration.ofSeconds(60), () -> Files.readString(output).contains("Build failed"),
                    "the broken edit to be reported");
            assertThat(body(uri)).as("the last good version keeps serving").isEqualTo("Howdy, dev!\n");
        } finally {
            new ProcessBuilder("kill", "-INT", Long.toString(run.pid())).start().waitFor();
            assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(run.exitValue()).as(Files.readString(output)).isZero();
        assertThat(runStates()).as("the run's state directory is removed").isEqualTo(statesBefore);
    }

    private String body(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? r.body() : "HTTP " + r.statusCode();
    }

    private static Set<Path> runStates() throws IOException {
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return tmp.filter(p -> p.getFileName().toString().startsWith("isola-run-")).collect(Collectors.toSet());
        }
    }
}
