package dev.isola.sandbox;

import dev.isola.testing.Await;
import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A thousand cold starts in a row on runc (single-use: every call creates and destroys a container, a namespace,
 * a veth, a cgroup and an address), then nothing may be left: no container, namespace, link, cgroup, work
 * directory or child process (the extension's leak checks, after the test and after the server stopped), and the
 * platform's own file descriptors back near where they started. {@code -Disola.loop.count=N} changes the count.
 */
class ColdStartLoopTest {
    private static final int COUNT = Integer.getInteger("isola.loop.count", 1000);
    /** Slack for descriptors the JVM and HTTP client open lazily (class files, selectors, pooled connections). */
    private static final int FD_SLACK = 64;

    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("runc");

    @Test
    void thousandColdStarts_leaveNothingBehind(TestIsola isola) throws Exception {
        HttpResponse<String> deploy = isola.deploy("loop", Path.of("functions/go/hello"),
                "name: loop\nruntime: go\nhandler: Handle\nscaling: {singleUse: true}\n");
        assertThat(deploy.statusCode()).as(deploy.body()).isEqualTo(201);
        assertThat(isola.get("/function/loop").statusCode()).isEqualTo(200);
        long fdsBefore = openDescriptors();
        for (int i = 0; i < COUNT; i++) {
            HttpResponse<String> r = isola.get("/function/loop");
            assertThat(r.statusCode()).as("call %d: %s", i, r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Isola-Cold-Start")).hasValue("true");
        }
        // Single-use instances are torn down after their response, off the request path: the last one may still go.
        Path run = isola.stateDir().resolve("run");
        Await.until(Duration.ofSeconds(10), () -> isola.instances().size() + entries(run), n -> n == 0,
                "the last single-use instance and its work directory to go (instances + work directories)");
        assertThat(openDescriptors()).as("open file descriptors of the platform")
                .isLessThanOrEqualTo(fdsBefore + FD_SLACK);
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
