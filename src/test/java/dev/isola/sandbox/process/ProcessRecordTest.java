package dev.isola.sandbox.process;

import java.util.Map;
import dev.isola.testing.TestHost;
import dev.isola.testing.Await;
import dev.isola.testing.Leaks;
import dev.isola.testing.NoLeaks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Start-up after a crash on the process backend: instances the crashed run left are stopped, nothing else is. */
@NoLeaks(Leaks.Scope.PROCESSES)
class ProcessRecordTest {
    @TempDir
    Path state;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
        }
    }

    @Test
    void reapLeftovers_stopsTheProcessesOfLeftoverInstances_andTheirChildren() throws Exception {
        Path work = Files.createDirectories(state.resolve("run").resolve("fn.a0a0a0a0a0"));
        // A function that started a child of its own, as a node function may.
        Process leftover = start("sh", "-c", "sleep 600 & wait");
        ProcessRecord.write(work, leftover.toHandle());
        awaitChild(leftover);
        List<ProcessHandle> children = leftover.descendants().toList();

        TestHost.backend("process", state, Map.of()).reapLeftovers();

        assertThat(leftover.waitFor(5, TimeUnit.SECONDS)).as("leftover instance stopped").isTrue();
        assertThat(children).isNotEmpty().noneMatch(ProcessHandle::isAlive);
    }

    @Test
    void reapLeftovers_leavesAProcessAlone_whenItsPidWasReused() throws Exception {
        Path work = Files.createDirectories(state.resolve("run").resolve("fn.b1b1b1b1b1"));
        Process other = start("sleep", "600");
        // The recorded process started at another time: the pid now belongs to someone else.
        Files.writeString(work.resolve(ProcessRecord.FILE), other.pid() + " 12345\n");

        TestHost.backend("process", state, Map.of()).reapLeftovers();

        assertThat(other.isAlive()).isTrue();
    }

    @Test
    void reapLeftovers_toleratesTornOrMissingRecords() throws Exception {
        Files.createDirectories(state.resolve("run").resolve("fn.c2c2c2c2c2"));
        Files.writeString(Files.createDirectories(state.resolve("run").resolve("fn.d3d3d3d3d3"))
                .resolve(ProcessRecord.FILE), "12");

        TestHost.backend("process", state, Map.of()).reapLeftovers(); // no exception
    }

    private Process start(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    private static void awaitChild(Process p) {
        Await.until(Duration.ofSeconds(5), () -> p.descendants().findAny().isPresent(),
                "the leftover instance to start its child");
    }
}
