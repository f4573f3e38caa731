package dev.isola.sandbox;

import dev.isola.testing.TestHost;
import dev.isola.sandbox.spi.Availability;
import dev.isola.testing.Leaks;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A thousand cold starts in a row on runc (single-use: every call creates and destroys a container, a namespace,
 * a veth, a cgroup and an address), then nothing may be left: no container, namespace, link, cgroup, work
 * directory or child process, and the platform's own file descriptors and threads back near where they started.
 * {@code -Disola.loop.count=N} changes the count.
 */
class ColdStartLoopTest {
    private static final int COUNT = Integer.getInteger("isola.loop.count", 1000);
    /** Slack for descriptors the JVM and HTTP client open lazily (class files, selectors, pooled connections). */
    private static final int FD_SLACK = 64;

    @Test
    void thousandColdStarts_leaveNothingBehind() throws Exception {
        Availability runc = TestHost.probe("runc");
        Assumptions.assumeTrue(runc.runs(), () -> "runc unavailable: " + runc.describe());
        try (TestIsola isola = TestIsola.start("runc")) {
            HttpResponse<String> deploy = isola.deploy("loop", Path.of("functions/go/hello"),
                    "name: loop\nruntime: go\nscaling: {singleUse: true}\n");
            assertThat(deploy.statusCode()).as(deploy.body()).isEqualTo(201);
            assertThat(isola.get("/function/loop").statusCode()).isEqualTo(200);
            long fdsBefore = openDescriptors();
            for (int i = 0; i < COUNT; i++) {
                HttpResponse<String> r = isola.get("/function/loop");
                assertThat(r.statusCode()).as("call %d: %s", i, r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-Isola-Cold-Start")).hasValue("true");
            }
            // Single-use instances are torn down after their response, off the request path: give the last one time.
            Path run = isola.stateDir().resolve("run");
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((!isola.server().dispatcher().instances().isEmpty() || entries(run) > 0)
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(isola.server().dispatcher().instances()).as("instances after the loop").isEmpty();
            Leaks.assertEmptyDir(run);
            assertThat(openDescriptors()).as("open file descriptors of the platform")
                    .isLessThanOrEqualTo(fdsBefore + FD_SLACK);
        }
        Leaks.assertNoChildProcesses();
        Leaks.assertNoContainerLeftovers();
    }

    private static long entries(Path dir) throws IOException {
        try (var list = Files.list(dir)) {
            return list.count();
        }
    }

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
