package dev.isola.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.config.AdminListener;
import dev.isola.config.IsolaConfig;
import dev.isola.config.TrustPolicy;
import dev.isola.server.IsolaServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A real Isola for tests: the server on 127.0.0.1:0 with its own temporary state directory, and a real HTTP client.
 * The build cache (Go builds, guest kernels) is shared by every test server (under target/), so a test does not
 * recompile the standard library. {@link #close()} stops the server and deletes the state directory. A test class gets one through
 * {@link IsolaServerExtension}, which also checks for leaks; {@link #start} and {@link #startOn} are for a test that
 * needs a server of its own (one on a state directory it prepared, say).
 */
public final class TestIsola implements AutoCloseable {
    public static final Path FUNCTIONS = Path.of("src/test/resources/functions");
    private static final Path SHARED_BUILD_CACHE = Path.of("target/test-build-cache").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path stateDir;
    private UnaryOperator<IsolaConfig> tweak;
    private IsolaServer server;
    private boolean stopped;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestIsola(Path stateDir, IsolaServer server, UnaryOperator<IsolaConfig> tweak) {
        this.stateDir = stateDir;
        this.server = server;
        this.tweak = tweak;
    }

    /** The build cache every test server shares (Go builds, guest kernels). */
    public static Path sharedCacheDir() {
        return SHARED_BUILD_CACHE;
    }

    public static TestIsola start(String backend) {
        return start(backend, UnaryOperator.identity());
    }

    /**
     * A server whose configuration {@code tweak} changes from the tests' (the edge's client limits, or the operator's
     * trust policy instead of the tests' permissive one).
     */
    public static TestIsola start(String backend, UnaryOperator<IsolaConfig> tweak) {
        try {
            Path state = Files.createTempDirectory("isola-test-");
            Files.createDirectories(SHARED_BUILD_CACHE);
            try {
                return new TestIsola(state, IsolaServer.start(tweak.apply(config(state, backend))), tweak);
            } catch (RuntimeException e) {
                new TestIsola(state, null, tweak).deleteStateDir(); // a server that did not start leaves nothing
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A server on the process backend with the test function {@code probe} deployed (50 requests per instance). */
    public static TestIsola withProbe() {
        TestIsola isola = start("process");
        try {
            isola.deployProbe();
        } catch (RuntimeException e) {
            isola.close();
            throw e;
        }
        return isola;
    }

    /** Deploys the test function {@code probe} (50 requests per instance). */
    void deployProbe() {
        HttpResponse<String> r = deploy("probe", FUNCTIONS.resolve("probe"),
                "name: probe\nruntime: go\nscaling: {concurrency: 50}\n");
        if (r.statusCode() != 201) {
            throw new IllegalStateException("deploying probe answered " + r.statusCode() + ": " + r.body());
        }
    }

    /** A server on an existing state directory (one a test prepared, say with leftovers of a "crashed" run). */
    public static TestIsola startOn(Path state, String backend) {
        try {
            Files.createDirectories(SHARED_BUILD_CACHE);
            return new TestIsola(state, IsolaServer.start(config(state, backend)), UnaryOperator.identity());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static IsolaConfig config(Path state, String backend) {
        return IsolaConfig.defaults().withHost("127.0.0.1").withPort(0).withStateDir(state)
                .withDefaultBackend(backend).withBuildCache(SHARED_BUILD_CACHE)
                // Tests run every backend, the process one too, and test egress: the operator's choice, made here.
                .withTrust(TrustPolicy.permissive()).withAdmin(new AdminListener("127.0.0.1", 0));
    }

    /** Stops the server and starts a new one on the same state directory, as after a reboot. */
    public void restart() {
        restartWith(tweak);
    }

    /** As {@link #restart()}, the new server's configuration changed by {@code newTweak} (the operator's, say). */
    public void restartWith(UnaryOperator<IsolaConfig> newTweak) {
        String backend = server.defaultBackend();
        server.close();
        tweak = newTweak;
        server = IsolaServer.start(tweak.apply(config(stateDir, backend)));
        stopped = false;
    }

    public IsolaServer server() {
        return server;
    }

    public Path stateDir() {
        return stateDir;
    }

    /** {@code path} where it is served: the admin API and {@code /metrics} on the admin port, the rest publicly. */
    public URI uri(String path) {
        boolean admin = path.startsWith("/system") || path.startsWith("/metrics");
        return (admin ? server.adminUri() : server.baseUri()).resolve(path);
    }

    /** {@code path} on the public port, whatever it is. */
    public URI publicUri(String path) {
        return server.baseUri().resolve(path);
    }

    /** Zips {@code dir}, replacing its function.yaml with {@code manifest}, and PUTs it. */
    public HttpResponse<String> deploy(String name, Path dir, String manifest) {
        return admin(HttpRequest.newBuilder(uri("/system/functions/" + name))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(zip(dir, manifest))));
    }

    /**
     * Deploys the handler-mode test function of {@code runtime} ({@code go}, {@code node}, {@code python}: the
     * directories {@code <runtime>-handler}, which echo a call as JSON) as {@code name}.
     */
    public HttpResponse<String> deployHandler(String name, String runtime, String extraManifest) {
        String handler = switch (runtime) {
            case "go" -> "Handle";
            case "node" -> "handler.mjs";
            case "python" -> "main:app";
            default -> throw new IllegalArgumentException("no handler test function for runtime " + runtime);
        };
        return deploy(name, FUNCTIONS.resolve(runtime + "-handler"),
                "name: " + name + "\nruntime: " + runtime + "\nhandler: " + handler + "\n" + extraManifest);
    }

    public HttpResponse<String> admin(HttpRequest.Builder request) {
        return send(request.header("Authorization", "Bearer " + server.adminToken()).timeout(Duration.ofMinutes(3)));
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)));
    }

    public HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpClient http() {
        return http;
    }

    public static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    public static byte[] zip(Path dir, String manifest) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes); var files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                String rel = dir.relativize(p).toString();
                if (rel.equals("function.yaml")) {
                    continue;
                }
                zip.putNextEntry(new ZipEntry(rel));
                zip.write(Files.readAllBytes(p));
                zip.closeEntry();
            }
            zip.putNextEntry(new ZipEntry("function.yaml"));
            zip.write(manifest.getBytes());
            zip.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The server's live instances, as {@code GET /system/instances} lists them. */
    public List<JsonNode> instances() {
        HttpResponse<String> r = admin(HttpRequest.newBuilder(uri("/system/instances")).GET());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET /system/instances answered " + r.statusCode() + ": " + r.body());
        }
        List<JsonNode> list = new ArrayList<>();
        json(r).forEach(list::add);
        return list;
    }

    /**
     * What this server holds now and may keep between tests: its live instances (by the admin API) and the network
     * attachments its state directory records (spares and taken ones alike).
     */
    Leaks.Holdings holdings() {
        if (stopped) {
            return Leaks.Holdings.stopped(stateDir);
        }
        Set<String> ids = new HashSet<>();
        Set<Long> pids = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (JsonNode instance : instances()) {
            String id = instance.get("id").asText();
            ids.add(id);
            keys.add(id.substring(id.lastIndexOf('.') + 1)); // InstanceNetwork.key: the id's random part
            if (instance.hasNonNull("pid")) {
                pids.add(instance.get("pid").asLong());
            }
        }
        // Template VMs being made (microvm clones): sandboxes of the running server's own, named tpl.<hex> like an
        // instance, made in the background and so possibly still booting when a test ends; its stop removes them.
        try (var work = Files.list(stateDir.resolve("run"))) {
            work.map(d -> d.getFileName().toString()).filter(n -> n.startsWith("tpl.")).forEach(ids::add);
        } catch (java.nio.file.NoSuchFileException e) {
            // Nothing started yet.
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (var markers = Files.list(stateDir.resolve("spare-networks"))) {
            markers.forEach(m -> keys.add(m.getFileName().toString()));
        } catch (java.nio.file.NoSuchFileException e) {
            // No spares made: the backend has none, or no container started yet.
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Leaks.Holdings(stateDir, true, ids, pids, keys);
    }

    /** Stops the server, keeping the state directory (to check what it left there). */
    void stop() {
        if (!stopped) {
            stopped = true;
            server.close();
        }
    }

    /** Deletes the state directory; the server must be stopped. */
    void deleteStateDir() {
        try (var walk = Files.walk(stateDir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
        deleteStateDir();
    }
}
