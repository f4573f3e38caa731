package dev.isola.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** What counts as a leak, on this JVM's own processes and a state directory (nothing host-wide). */
@NoLeaks(Leaks.Scope.PROCESSES)
class LeaksTest {
    @TempDir
    Path state;

    @Test
    void find_processInALiveInstancesTree_isHeld_andAStrayOneIsALeak() throws Exception {
        Process instance = new ProcessBuilder("sh", "-c", "sleep 60 & wait").start();
        try {
            Await.until(java.time.Duration.ofSeconds(5), () -> instance.descendants().findAny().isPresent(),
                    "the instance's child");
            Leaks.Holdings held = new Leaks.Holdings(state, true, Set.of(), Set.of(instance.pid()), Set.of());

            assertThat(Leaks.find(Leaks.Scope.PROCESSES, held)).isEmpty();
            assertThat(Leaks.find(Leaks.Scope.PROCESSES)).as("without the instance: it and its child are strays")
                    .hasSizeGreaterThanOrEqualTo(2).allMatch(leak -> leak.startsWith("child process "))
                    .anyMatch(leak -> leak.startsWith("child process " + instance.pid() + " "));
        } finally {
            instance.descendants().forEach(ProcessHandle::destroyForcibly); // the children of our own child
            instance.destroyForcibly();
            instance.waitFor();
        }
    }

    @Test
    void find_workDirectoryOfNoLiveInstance_isALeak() throws Exception {
        Files.createDirectories(state.resolve("run/fn.a0a0a0a0a0"));
        Files.createDirectories(state.resolve("run/fn.b1b1b1b1b1"));
        Leaks.Holdings held = new Leaks.Holdings(state, true, Set.of("fn.a0a0a0a0a0"), Set.of(), Set.of());

        assertThat(Leaks.find(Leaks.Scope.PROCESSES, held))
                .containsExactly("work directory " + state.resolve("run/fn.b1b1b1b1b1"));
    }

    @Test
    void find_stoppedServer_mayLeaveNoWorkDirectoryOrSpareMarker() throws Exception {
        Files.createDirectories(state.resolve("run"));
        Files.createDirectories(state.resolve("spare-networks"));
        assertThat(Leaks.find(Leaks.Scope.PROCESSES, Leaks.Holdings.stopped(state))).isEmpty();

        Files.createFile(state.resolve("spare-networks/nc2c2c2c2c2c"));

        assertThat(Leaks.find(Leaks.Scope.PROCESSES, Leaks.Holdings.stopped(state)))
                .containsExactly("spare network marker " + state.resolve("spare-networks/nc2c2c2c2c2c"));
    }
}
