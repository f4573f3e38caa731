package dev.isola.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.cli.IsolaCommand;

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
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code isola serve} in a JVM of its own, as an operator runs it: for what only a real process shows (signals,
 * SIGKILL and a restart on the same state). Its output goes to a file next to the state directory.
 */
public final class ServerProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Beyond the server's own drain and stop of its sandboxes. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(60);

    private final Process process;
    private final Path state;
    private final Path output;
    private final int port;
    private final int adminPort;
    private final HttpClient http = HttpClient.newHttpClient();

    private ServerProcess(Process process, Path state, Path output, int port, int adminPort) {
        this.process = process;
        this.state = state;
        this.output = output;
        this.port = port;
        this.adminPort = adminPort;
    }

    /** Starts a server on {@code state} with {@code backend} as default, and waits until it serves. */
    public static ServerProcess start(Path state, String backend) throws IOException {
        return start(state, backend, Map.of());
    }

    /** {@link #start(Path, String)} with {@code environment} added to the server's (a {@code PATH} of its own, say). */
    public static ServerProcess start(Path state, String backend, Map<String, String> environment)
            throws IOException {
        Path output = state.resolveSibling(state.getFileName() + "-" + System.nanoTime() + ".out");
        int port = freePort();
        int adminPort = freePort();
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                IsolaCommand.class.getName(), "serve", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--admin-port", Integer.toString(adminPort), "--state-dir", state.toString(), "--backend", backend,
                "--isolation-floor", "none");
        builder.environment().put("ISOLA_BUILD_CACHE", TestIsola.sharedCacheDir().toString()); // builds in seconds
        builder.environment().putAll(environment);
        Process process = builder.redirectErrorStream(true).redirectOutput(output.toFile()).start();
        ServerProcess server = new ServerProcess(process, state, output, port, adminPort);
        Await.until(Duration.ofSeconds(90), () -> server.output().contains("Isola is serving")
                || !process.isAlive(), "the server to serve");
        if (!process.isAlive()) {
            throw new IllegalStateException("isola serve exited with " + process.exitValue() + ": " + server.output());
        }
        return server;
    }

    public Process process() {
        return process;
    }

    /** What the server printed so far. */
    public String output() throws IOException {
        return Files.readString(output);
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Deploys {@code dir} with {@code manifest} as {@code name}; the answer's status. */
    public HttpResponse<String> deploy(String name, Path dir, String manifest) throws Exception {
        return admin(HttpRequest.newBuilder(adminUri("/system/functions/" + name))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(TestIsola.zip(dir, manifest))));
    }

    /** The live instances; none while the admin API does not answer. */
    public List<JsonNode> instances() throws Exception {
        HttpResponse<String> r = admin(HttpRequest.newBuilder(adminUri("/system/instances")));
        List<JsonNode> list = new ArrayList<>();
        if (r.statusCode() == 200) {
            JSON.readTree(r.body()).forEach(list::add);
        }
        return list;
    }

    public HttpClient http() {
        return http;
    }

    /** Sends {@code request} with the admin token. */
    public HttpResponse<String> admin(HttpRequest.Builder request) throws Exception {
        String token = Files.readString(state.resolve("admin-token")).strip();
        return http.send(request.header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + adminPort + path);
    }

    /**
     * Stops the server if it still runs (our own child: the pid cannot be another process's): SIGTERM, so that a
     * test that failed half-way leaves no sandbox behind (a SIGKILLed server's VMs and containers outlive it, and
     * the state directory that would let the next server reap them is deleted), then SIGKILL after a grace period.
     * A test that means to crash the server kills it itself first.
     */
    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        Files.deleteIfExists(output);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
