package dev.isola.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a test may not leave behind. */
public final class Leaks {
    private Leaks() {
    }

    /** Child processes of this JVM (instances of the process backend, runtimes, QEMU...). */
    public static List<String> childProcesses() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList();
    }

    public static void assertNoChildProcesses() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!childProcesses().isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(childProcesses()).as("child processes left behind").isEmpty();
    }

    public static void assertEmptyDir(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var list = Files.list(dir)) {
            assertThat(list.toList()).as("left in " + dir).isEmpty();
        }
    }
}
