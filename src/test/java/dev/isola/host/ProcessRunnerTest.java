package dev.isola.host;

import dev.isola.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real host programs (sh, cat), run the one way Isola runs them. */
class ProcessRunnerTest {
    private final ProcessRunner runner = ProcessRunner.create(Executables.fromPath(Optional.empty()));

    @Test
    void run_returnsTheOutput_andFeedsTheInput() {
        assertThat(runner.run(Command.of("cat").withStdin("hello\n"))).isEqualTo("hello");
    }

    /**
     * Every run closes both ends of the child's pipes, however soon the child exits: a burst of thousands of quick
     * commands on a busy host once left the stdin pipe of hundreds open, when the writer's thread had not begun
     * before the run was over.
     */
    @Test
    void result_manyQuickCommandsAtOnce_leaveNoPipeOpen() throws Exception {
        long before = openPipes();
        try (var threads = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 400; i++) {
                threads.execute(() -> runner.result(Command.of("true")));
            }
        }
        Await.until(Duration.ofSeconds(10), () -> openPipes() <= before, "every pipe of the runs closed");
    }

    private static long openPipes() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("pipe:");
                } catch (IOException e) {
                    return false; // closed since it was listed
                }
            }).count();
        }
    }

    @Test
    void run_aFailingProgram_throwsWithItsStatusAndOutput() {
        assertThatThrownBy(() -> runner.run(List.of("sh", "-c", "echo broken >&2; exit 3")))
                .isInstanceOf(HostException.class).hasMessageContaining("exit status 3").hasMessageContaining("broken");
    }

    @Test
    void result_aProgramPastItsDeadline_isKilledWithWhatItForked() {
        long begin = System.nanoTime();
        CommandResult result = runner.result(Command.of("sh", "-c", "echo started; sleep 60 & sleep 60")
                .withTimeout(Duration.ofMillis(300)));

        assertThat(result.timedOut()).isTrue();
        assertThat(result.succeeded()).isFalse();
        assertThat(result.output()).isEqualTo("started");
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).as("not held by the forked sleep's open pipe")
                .isLessThan(Duration.ofSeconds(10));
        Await.until(Duration.ofSeconds(5), () -> ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive),
                "the killed program and what it forked to be gone");
    }

    @Test
    void result_interrupted_returnsOnlyOnceTheKilledProgramIsGone(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("pid");
        Thread caller = Thread.currentThread();
        Thread interrupter = Thread.ofPlatform().start(() -> {
            Await.until(Duration.ofSeconds(60), () -> Files.exists(pidFile), "the program to start");
            caller.interrupt();
        });
        try {
            // 1 GiB touched, so that its exit takes a while (unmapping it), then the pid file, then a long sleep.
            String program = "import os, time\nheld = b'x' * (1 << 30)\nopen('" + pidFile + ".tmp', 'w')"
                    + ".write(str(os.getpid()))\nos.rename('" + pidFile + ".tmp', '" + pidFile + "')\ntime.sleep(600)";
            Command command = Command.of("python3", "-c", program).withTimeout(Duration.ofMinutes(15));
            assertThatThrownBy(() -> runner.result(command))
                    .isInstanceOf(HostException.class).hasMessageContaining("interrupted");
            assertThat(Thread.interrupted()).as("the caller's flag is set again").isTrue();
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            assertThat(Path.of("/proc", Long.toString(pid)))
                    .as("killed and reaped: a clean-up after the interrupt must not race it").doesNotExist();
        } finally {
            interrupter.join();
        }
    }

    @Test
    void result_keepsOutputUpToItsLimit_andReadsTheRestSoTheChildNeverBlocks() {
        CommandResult result = runner.result(Command.of("sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x")
                .withOutputLimit(1024));

        assertThat(result.succeeded()).isTrue();
        assertThat(result.output()).startsWith("x".repeat(1024)).endsWith("[output truncated at 1 KiB]");
    }

    @Test
    void result_handsEveryLineOnAsItComes() {
        List<String> lines = new ArrayList<>();
        runner.result(Command.of("sh", "-c", "echo one; echo two; printf three"), lines::add);

        assertThat(lines).containsExactly("one", "two", "three");
    }

    @Test
    void command_runsInItsDirectoryWithItsEnvironmentOnly(@TempDir Path dir) {
        String out = runner.run(Command.of("/bin/sh", "-c", "pwd; echo \"$GREETING:$HOME\"").in(dir)
                .withEnvironment(Map.of("GREETING", "hi")));

        assertThat(out.lines().toList()).containsExactly(dir.toString(), "hi:");
    }

    @Test
    void niced_runsAtTheLowestPriority() {
        assertThat(runner.run(Command.of("sh", "-c", "cut -d' ' -f19 /proc/self/stat").niced())).isEqualTo("19");
    }

    @Test
    void start_onAVirtualThread_givesTheCallerItsChild() throws Exception {
        Process[] started = new Process[1];
        Thread.ofVirtual().start(() -> started[0] = runner.start(new ProcessBuilder("true"))).join();

        assertThat(started[0].waitFor()).isZero();
    }
    @Test
    void resultTo_appendsTheOutputToTheFile_withNothingOnItsInput(@TempDir Path dir) throws Exception {
        Path console = dir.resolve("console");
        Files.writeString(console, "before\n");

        CommandResult result = runner.resultTo(Command.of("sh", "-c", "echo out; echo err >&2; cat; exit 4"), console);

        assertThat(result.exitCode()).isEqualTo(4);
        assertThat(Files.readString(console)).isEqualTo("before\nout\nerr\n");
    }

    @Test
    void aMissingProgram_failsToStart_withTheReason() {
        assertThatThrownBy(() -> runner.run(List.of("isola-no-such-program")))
                .isInstanceOf(HostException.class).hasMessageContaining("isola-no-such-program")
                .hasMessageContaining("No such file or directory");
    }

    /**
     * A child leads a session of its own: a terminal's Ctrl-C reaches the server alone (which drains and then stops its
     * sandboxes itself), and the kernel's per-session scheduling groups do not count a function's threads into the
     * server's share of the CPU.
     */
    @Test
    void aProgram_leadsASessionOfItsOwn(@TempDir Path dir) throws Exception {
        String own = "cut -d' ' -f1,5,6 /proc/$$/stat"; // the shell's pid, process group and session
        List<String> seen = new ArrayList<>(List.of(runner.run(Command.of("sh", "-c", own))));
        try (PidfdExits exits = new PidfdExits()) {
            Process watched = runner.startWatched(Command.of("sh", "-c", own), dir.resolve("out"), exits);
            assertThat(watched.waitFor()).isZero();
        }
        seen.add(Files.readString(dir.resolve("out")).strip());

        for (String line : seen) {
            String[] ids = line.split(" ");
            assertThat(ids).as(line).hasSize(3).containsOnly(ids[0]);
        }
    }

    /**
     * A child held on a gate goes on once released and not before, also when it handed its stdin on to a process of
     * its own (as {@code runsc create} hands it to its sandbox) and exited; an unreleased gate that closes ends it.
     */
    @Test
    void aChildHeldOnAGate_goesOnOnlyOnceReleased_andEndsWhenTheGateCloses(@TempDir Path dir) throws Exception {
        // The runner's child starts a reader on its stdin (kept as fd 3: an asynchronous list's own stdin is
        // /dev/null) and exits; the reader notes its pid and waits for its line.
        String held = "exec 3<&0; sh -c 'echo $$ >\"$0.pid\"; read -r _ && echo released >>\"$0\" || echo ended >>\"$0\"' \"$0\" <&3 3<&- &";
        Path released = dir.resolve("released");
        Path ended = dir.resolve("ended");
        try (StdinGate first = StdinGate.open(); StdinGate second = StdinGate.open()) {
            assertThat(runner.resultTo(Command.of("sh", "-c", held, released.toString()), dir.resolve("out"), first)
                    .exitCode()).isZero();
            assertThat(runner.resultTo(Command.of("sh", "-c", held, ended.toString()), dir.resolve("out"), second)
                    .exitCode()).isZero();
            for (Path reader : List.of(released, ended)) {
                Path wchan = Path.of("/proc", Await.until(Duration.ofSeconds(10), () -> pidIn(reader),
                        pid -> !pid.isEmpty(), "the reader's pid"), "wchan");
                Await.until(Duration.ofSeconds(10), () -> Files.readString(wchan), w -> w.endsWith("pipe_read"),
                        "the reader blocked on its gate");
            }
            assertThat(released).doesNotExist();

            assertThat(first.release()).isTrue();
            second.close();

            Await.until(Duration.ofSeconds(10), () -> Files.exists(released) && Files.exists(ended),
                    "both held children to go on");
            assertThat(Files.readString(released)).isEqualTo("released\n");
            assertThat(Files.readString(ended)).isEqualTo("ended\n");
            assertThat(first.release()).as("a gate opens once").isFalse();
        }
    }

    private static String pidIn(Path reader) throws IOException {
        Path file = Path.of(reader + ".pid");
        return Files.exists(file) ? Files.readString(file).strip() : "";
    }

    /** The server's own descriptors (a file it reads, sockets, pidfds) never reach a tool it runs. */
    @Test
    void aProgram_inheritsNoDescriptorOfTheServer(@TempDir Path dir) throws Exception {
        assertThat(PosixSpawn.available()).as("posix_spawn with closefrom (glibc 2.34+, Debian 12)").isTrue();
        Path held = Files.writeString(dir.resolve("held"), "x");
        try (var open = Files.newInputStream(held); var virtual = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String fds : List.of(runner.run(List.of("ls", "/proc/self/fd")),
                    virtual.submit(() -> runner.run(List.of("ls", "/proc/self/fd"))).get())) {
                assertThat(fds.lines().toList()).as("stdin, stdout, stderr and ls's own listing")
                        .containsExactly("0", "1", "2", "3");
            }
        }
    }

    @Test
    void aProgram_inheritsTheServersEnvironment_unlessGivenItsOwn() {
        assertThat(runner.run(Command.of("sh", "-c", "echo \"$PATH\""))).isEqualTo(System.getenv("PATH"));
    }

    @Test
    void aProgramThatDoesNotReadItsInput_endsAsUsual() {
        CommandResult result = runner.result(Command.of("sh", "-c", "echo done").withStdin("x".repeat(1 << 20)));

        assertThat(result.exitCode()).isZero();
        assertThat(result.output()).isEqualTo("done");
    }

    @Test
    void aProgramKilledByASignal_reportsItAsTheJdkDoes() {
        assertThat(runner.result(Command.of("sh", "-c", "kill -9 $$")).exitCode()).isEqualTo(128 + 9);
    }

    @Test
    void startWatched_longLivedChildren_holdNoThreadEach_andAreReapedOnceEnded(@TempDir Path dir) throws Exception {
        Path console = dir.resolve("console");
        int children = 20;
        long before = childWaitingThreads();
        List<Process> started = new ArrayList<>();
        try (PidfdExits exits = new PidfdExits()) {
            for (int i = 0; i < children; i++) {
                started.add(runner.startWatched(Command.of("sh", "-c", "echo up; exec sleep 60"), console, exits));
            }
            assertThat(childWaitingThreads() - before).as("threads waiting for a child").isLessThan(children / 2);
            Process crashing = runner.startWatched(Command.of("sh", "-c", "echo bye; exit 3"), console, exits);
            assertThat(crashing.waitFor()).isEqualTo(3);
            // Each has said "up" before it is killed: a kill can come before a child's first line.
            Await.until(Duration.ofSeconds(10), () -> Files.readAllLines(console).size() == children + 1,
                    "every child's first line");

            started.forEach(Process::destroyForcibly);
            for (Process p : started) {
                assertThat(p.waitFor()).isEqualTo(128 + 9);
                assertThat(Path.of("/proc", Long.toString(p.pid()))).as("reaped").doesNotExist();
            }
        } finally {
            started.forEach(Process::destroyForcibly);
        }
        assertThat(Files.readAllLines(console)).containsOnly("up", "bye").hasSize(children + 1);
    }

    /** The JDK's reaper threads (one per child it starts) and the runner's pipe threads, which also reap. */
    private static long childWaitingThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(name -> name.startsWith("process reaper") || name.startsWith("isola-pipe-")).count();
    }
}
