package dev.isola.sandbox;

import dev.isola.host.FileTrees;
import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.ServerProcess;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A runtime that hangs: runc replaced, first on a real server's {@code PATH}, by a script whose {@code create} never
 * exits and ignores SIGTERM. A start stuck there holds DELETE no longer than the function's timeout (its calls'
 * deadline, here 3 s) and the server's stop no longer than the drain deadline (here 3 s, {@code ISOLA_DRAIN_TIMEOUT});
 * the hung runtime is killed, and nothing is left. The figures with the default deadlines are bench/faults.sh's.
 */
@NoLeaks
class HungRuntimeTest {
    /** Both the drain deadline and the function's timeout. */
    private static final Duration DEADLINE = Duration.ofSeconds(3);
    /** The deadline, the kill of the hung runtime and the clean-up, with room for a busy 2-core host. */
    private static final Duration BOUND = DEADLINE.plusSeconds(20);

    private Path dir;
    private Path pids;
    private ServerProcess server;

    @BeforeEach
    void fakeRunc() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (runc)");
        Path runc = TestHost.runner().executables().find("runc").orElse(null);
        Assumptions.assumeTrue(runc != null, "runc is not installed");
        dir = Files.createTempDirectory("isola-test-hung-runtime-");
        pids = dir.resolve("hung.pids");
        Files.createDirectories(dir.resolve("bin"));
        Path fake = dir.resolve("bin/runc");
        Files.writeString(fake, """
                #!/bin/sh
                for arg in "$@"; do
                  if [ "$arg" = create ]; then echo $$ >>"%s"; trap '' TERM INT; exec sleep 2147483647; fi
                done
                exec "%s" "$@"
                """.formatted(pids, runc));
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        server = ServerProcess.start(dir.resolve("state"), "runc", Map.of("PATH", dir.resolve("bin") + ":"
                + System.getenv("PATH"), "ISOLA_DRAIN_TIMEOUT", DEADLINE.toSeconds() + "s"));
        HttpResponse<String> deployed = server.deploy("stuck", Path.of("functions/go/hello"),
                "name: stuck\nruntime: go\nhandler: Handle\nlimits: {timeout: " + DEADLINE.toSeconds() + "s}\n");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.process().destroy(); // SIGTERM, so a failed test still leaves nothing; our own child
            server.process().waitFor(2 * BOUND.toSeconds(), TimeUnit.SECONDS);
            server.close();
        }
        if (dir != null) {
            FileTrees.deleteRecursively(dir);
        }
    }

    @Test
    void delete_isNotHeldByAHungCreate() throws Exception {
        CompletableFuture<HttpResponse<String>> call = callStuck();
        long hung = awaitHungRuntime();

        long start = System.nanoTime();
        HttpResponse<String> deleted = server.admin(HttpRequest.newBuilder(server.adminUri("/system/functions/stuck"))
                .DELETE());
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
        assertThat(took).as("DELETE waits for the function's timeout, not for the hung runtime").isLessThan(BOUND);
        assertThat(call.get(BOUND.toSeconds(), TimeUnit.SECONDS).statusCode())
                .as("the call gets an answer: its start was stopped by the removal, so the function is gone")
                .isEqualTo(404);
        assertThat(ProcessHandle.of(hung)).as("the hung runtime was killed").isEmpty();
        stopServer();
    }

    @Test
    void sigterm_isNotHeldByAHungCreate() throws Exception {
        CompletableFuture<HttpResponse<String>> call = callStuck();
        long hung = awaitHungRuntime();

        stopServer();

        // An answer (503: its start was stopped by the shutdown) or, when the edge closed first, a connection the
        // client cannot retry: not a wait for ever.
        assertThat(call.handle((r, e) -> r == null ? "closed" : Integer.toString(r.statusCode()))
                .get(BOUND.toSeconds(), TimeUnit.SECONDS)).isIn("503", "closed");
        assertThat(ProcessHandle.of(hung)).as("the hung runtime was killed").isEmpty();
    }

    private CompletableFuture<HttpResponse<String>> callStuck() {
        return server.http().sendAsync(HttpRequest.newBuilder(server.uri("/function/stuck/")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The pid of the fake runc's {@code create} once a start is stuck in it. */
    private long awaitHungRuntime() {
        List<String> lines = Await.until(Duration.ofSeconds(60), () -> Files.exists(pids) ? Files.readAllLines(pids)
                : List.<String>of(), l -> !l.isEmpty(), "a start stuck in the hung runtime");
        return Long.parseLong(lines.getFirst().strip());
    }

    /** SIGTERM (our own child: the pid cannot be another process's); exits 0 within the bound. */
    private void stopServer() throws Exception {
        server.process().destroy();
        assertThat(server.process().waitFor(BOUND.toSeconds(), TimeUnit.SECONDS))
                .as("the stop waits for the drain deadline, not for the hung runtime").isTrue();
        assertThat(server.process().exitValue()).isZero();
    }
}
