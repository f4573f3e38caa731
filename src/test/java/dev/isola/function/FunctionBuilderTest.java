package dev.isola.function;

import dev.isola.config.TrustPolicy;
import dev.isola.testing.TestHost;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.testing.Await;
import dev.isola.testing.Leaks;
import dev.isola.testing.NoLeaks;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@NoLeaks(Leaks.Scope.PROCESSES)
class FunctionBuilderTest {
    static final String GO_HTTP_SERVER = """
            package main

            import (
            	"net/http"
            	"os"
            )

            func main() {
            	port := os.Getenv("PORT")
            	if port == "" {
            		port = "8080"
            	}
            	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
            		w.Write([]byte("hello from go"))
            	})
            	http.ListenAndServe("127.0.0.1:"+port, nil)
            }
            """;

    @TempDir
    Path tmp;

    private Path src() throws IOException {
        return Files.createDirectories(tmp.resolve("src"));
    }

    private Path out() {
        return tmp.resolve("out");
    }

    private static Manifest manifest(Runtime runtime, String entry) {
        return new Manifest(FunctionName.of("fn"), runtime, entry, Map.of(), Optional.empty(), Optional.empty(), false, Limits.DEFAULT,
                Scaling.DEFAULT);
    }

    private FunctionBuilder goBuilder() {
        Assumptions.assumeTrue(GoToolchain.installed(), "go not installed");
        return FunctionBuilder.create(TestHost.runner(), GoToolchain.sharedCache(), tmp, TrustPolicy.runningAsRoot());
    }

    @Test
    void build_goHttpServer_producesBinaryThatServes() throws Exception {
        FunctionBuilder builder = goBuilder();
        Files.writeString(src().resolve("main.go"), GO_HTTP_SERVER);

        Artifact artifact = builder.build(manifest(Runtime.GO, "."), src(), out());

        assertThat(artifact.argv()).containsExactly("./fn");
        assertThat(artifact.root()).isEqualTo(out().toAbsolutePath());
        try (var files = Files.list(out())) {
            assertThat(files).containsExactly(out().toAbsolutePath().resolve("fn"));
        }
        assertThat(src().resolve("go.mod")).hasContent("module fn\n\ngo 1.19");
        assertThat(serve(artifact)).isEqualTo("hello from go");
    }

    @Test
    void build_goEntryInSubdirectory_buildsThatPackage() throws Exception {
        FunctionBuilder builder = goBuilder();
        Path cmd = Files.createDirectories(src().resolve("cmd/server"));
        Files.writeString(cmd.resolve("main.go"), GO_HTTP_SERVER);
        Files.writeString(src().resolve("go.mod"), "module example.com/thing\n\ngo 1.19\n");

        Artifact artifact = builder.build(manifest(Runtime.GO, "cmd/server"), src(), out());

        assertThat(out().resolve("fn")).isExecutable();
        assertThat(src().resolve("go.mod")).content().startsWith("module example.com/thing");
        assertThat(artifact.runtime()).isEqualTo(Runtime.GO);
    }

    @Test
    void build_goCompileError_failsWithCompilerOutputAndNoOutput() throws Exception {
        FunctionBuilder builder = goBuilder();
        Files.writeString(src().resolve("main.go"), "package main\n\nfunc main() {\n\tundefinedThing()\n}\n");

        assertThatThrownBy(() -> builder.build(manifest(Runtime.GO, "."), src(), out()))
                .isInstanceOfSatisfying(BuildFailedException.class, e -> assertThat(e.code()).isEqualTo("build_failed"))
                .hasMessageContaining("go build failed")
                .hasMessageContaining("undefined: undefinedThing");
        assertThat(out()).doesNotExist();
    }

    @Test
    void build_goToolchainMissing_failsClearly() throws Exception {
        var builder = new HostFunctionBuilder(TestHost.runner(), tmp.resolve("cache"), tmp, false, Optional.empty(), Duration.ofMinutes(1));

        assertThatThrownBy(() -> builder.build(manifest(Runtime.GO, "."), src(), out()))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("Go toolchain not found");
        assertThat(out()).doesNotExist();
    }

    @Test
    void build_goPastDeadline_killsTheBuildTree() throws Exception {
        Path childPid = tmp.resolve("child.pid");
        Path fakeGo = fakeGo("sleep 60 &\necho $! > '" + childPid + "'\nwait\n");
        var builder = new HostFunctionBuilder(TestHost.runner(), tmp.resolve("cache"), tmp, false, Optional.of(fakeGo), Duration.ofMillis(500));

        assertThatThrownBy(() -> builder.build(manifest(Runtime.GO, "."), src(), out()))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("timed out");
        long pid = Long.parseLong(Files.readString(childPid).strip());
        Optional<ProcessHandle> child = ProcessHandle.of(pid);
        if (child.isPresent()) {
            // It would exit by itself only after 60 s; within 10 s it is gone only because the builder killed it.
            child.get().onExit().get(10, TimeUnit.SECONDS);
        }
        assertThat(out()).doesNotExist();
    }

    @Test
    void build_hugeToolOutput_isCapped() throws Exception {
        Path fakeGo = fakeGo("yes x | head -c 300000\nexit 2\n");
        var builder = new HostFunctionBuilder(TestHost.runner(), tmp.resolve("cache"), tmp, false, Optional.of(fakeGo), Duration.ofMinutes(1));

        assertThatThrownBy(() -> builder.build(manifest(Runtime.GO, "."), src(), out()))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("exit 2")
                .hasMessageContaining("[output truncated at 64 KiB]")
                .satisfies(e -> assertThat(e.getMessage().length()).isBetween(64 * 1024, 64 * 1024 + 200));
    }

    @Test
    void build_node_copiesSourcesWithoutManifest() throws Exception {
        Files.writeString(src().resolve("function.yaml"), "name: fn\nruntime: node\n");
        Files.writeString(src().resolve("index.js"), "console.log('hi')\n");
        Files.createDirectories(src().resolve("lib"));
        Files.writeString(src().resolve("lib/util.js"), "module.exports = 1\n");
        Files.createSymbolicLink(src().resolve("lib/alias.js"), Path.of("util.js"));

        Artifact artifact = FunctionBuilder.create(TestHost.runner(), tmp.resolve("cache"), tmp, TrustPolicy.runningAsRoot()).build(manifest(Runtime.NODE, "index.js"),
                src(), out());

        assertThat(artifact.argv()).containsExactly("node", "index.js");
        assertThat(out().resolve("index.js")).hasContent("console.log('hi')");
        assertThat(out().resolve("lib/util.js")).exists();
        assertThat(Files.readSymbolicLink(out().resolve("lib/alias.js"))).isEqualTo(Path.of("util.js"));
        assertThat(out().resolve("function.yaml")).doesNotExist();
    }

    @Test
    void build_binary_setsEntryExecutable() throws Exception {
        Files.createDirectories(src().resolve("bin"));
        Files.writeString(src().resolve("bin/server"), "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(src().resolve("bin/server"), PosixFilePermissions.fromString("rw-r--r--"));

        Artifact artifact = FunctionBuilder.create(TestHost.runner(), tmp.resolve("cache"), tmp, TrustPolicy.runningAsRoot()).build(manifest(Runtime.BINARY, "bin/server"),
                src(), out());

        assertThat(artifact.argv()).containsExactly("./bin/server");
        assertThat(Files.getPosixFilePermissions(out().resolve("bin/server")))
                .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
    }

    @ParameterizedTest(name = "{0} entry {1}")
    @CsvSource({
            "NODE,   index.js",
            "NODE,   lib",
            "BINARY, fn",
            "BINARY, escape",
    })
    void build_entryNotAFileInside_failsAndRemovesOutput(Runtime runtime, String entry) throws Exception {
        Files.createDirectories(src().resolve("lib"));
        Files.writeString(src().resolve("other.js"), "x");
        Files.createSymbolicLink(src().resolve("escape"), Path.of("/bin/sh"));

        assertThatThrownBy(() -> FunctionBuilder.create(TestHost.runner(), tmp.resolve("cache"), tmp, TrustPolicy.runningAsRoot()).build(manifest(runtime, entry), src(), out()))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("entry '" + entry + "' is not a file in the archive");
        assertThat(out()).doesNotExist();
    }

    private Path fakeGo(String script) throws IOException {
        Path fake = tmp.resolve("fake-go");
        Files.writeString(fake, "#!/bin/sh\n" + script);
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        return fake;
    }

    /** Starts the built binary on a free port, fetches "/", and always stops it again. */
    static String serve(Artifact artifact) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(artifact.root().resolve(artifact.argv().getFirst()).toString())
                .directory(artifact.root().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PORT", Integer.toString(port));
        Process process = pb.start();
        try {
            awaitListening(port);
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                        HttpResponse.BodyHandlers.ofString());
                return response.body();
            }
        } finally {
            // Our own child, started above: destroying it cannot hit another process.
            process.destroyForcibly();
            process.waitFor();
        }
    }

    private static void awaitListening(int port) {
        Await.until(Duration.ofSeconds(10), () -> accepts(port), "the built function to listen on port " + port);
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void artifact_argvList_isCopied() {
        List<String> argv = new java.util.ArrayList<>(List.of("./fn"));
        Artifact artifact = new Artifact(Runtime.GO, Path.of("/x"), argv);
        argv.add("extra");

        assertThat(artifact.argv()).containsExactly("./fn");
    }
}
