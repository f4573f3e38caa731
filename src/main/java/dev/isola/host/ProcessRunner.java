package dev.isola.host;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one way Isola runs host programs: tools run to completion ({@link #run}, {@link #result}, {@link #quietly}) and
 * long-lived children such as a sandbox's runtime or QEMU ({@link #start}).
 *
 * <p>Every run has a deadline. Its output is read on a thread of its own while the caller waits for the exit, so a
 * child that prints much cannot fill its pipe and stall, and a child that hangs is killed at the deadline (with the
 * processes it forked, listed before it dies) instead of holding the caller for ever. Output past the command's
 * limit is read and dropped. Tools start through {@link PosixSpawn} where the C library allows it ({@link #launch}),
 * so a start makes no system call per descriptor the server holds (a few per live instance).
 *
 * <p>Threads: {@link ProcessBuilder#start()} is a native call (fork, exec of the JDK's spawn helper, a wait until the
 * child has exec'd) that pins a virtual thread's carrier for its whole duration, and blocking pipe I/O pins it too;
 * with as many carriers as cores, a burst of sandbox starts on virtual threads held every carrier and the gateway's
 * hand-offs waited behind them (up to ~100 ms on 2 cores). So spawning and pipe I/O run on small pools of platform
 * threads here; a virtual caller only parks.
 */
public final class ProcessRunner {
    /** How long the output may still take once the child has exited (a grandchild may hold the pipe). */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(2);
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);
    private static final Duration PIPE_THREAD_IDLE = Duration.ofSeconds(5);

    private final Executables executables;
    /** Enough that spawns never wait for each other on a host busy starting sandboxes; idle threads end. */
    private final ThreadPoolExecutor spawner;
    private final ExecutorService pipes;

    private ProcessRunner(Executables executables) {
        this.executables = executables;
        int cores = Runtime.getRuntime().availableProcessors();
        this.spawner = new ThreadPoolExecutor(4 * cores, 4 * cores, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().daemon().name("isola-spawn-", 0).factory());
        this.spawner.allowCoreThreadTimeOut(true);
        // As many as commands run at once (a burst of thousands of stops ran ~240 at a time: ~500 threads); they end
        // 5 s after the burst, not the cached pool's 60 s, so a node's thread count is back to its level soon after.
        this.pipes = new ThreadPoolExecutor(0, Integer.MAX_VALUE, PIPE_THREAD_IDLE.toSeconds(), TimeUnit.SECONDS,
                new SynchronousQueue<>(), Thread.ofPlatform().daemon().name("isola-pipe-", 0).factory());
    }

    public static ProcessRunner create(Executables executables) {
        return new ProcessRunner(executables);
    }

    public Executables executables() {
        return executables;
    }

    /** Runs {@code command}; returns its output, or throws with its exit status and output when it failed. */
    public String run(Command command) {
        CommandResult result = result(command);
        if (result.timedOut()) {
            throw new HostException("Failed to run " + command.describe() + ": no exit within "
                    + command.timeout().toSeconds() + " s" + suffix(result.output()));
        }
        if (result.exitCode() != 0) {
            throw new HostException("Failed to run " + command.describe() + ": exit status " + result.exitCode()
                    + suffix(result.output()));
        }
        return result.output();
    }

    public String run(List<String> argv) {
        return run(Command.of(argv));
    }

    /** Like {@link #run} but never throws: for clean-up, where the thing may already be gone. */
    public void quietly(Command command) {
        try {
            run(command);
        } catch (HostException ignored) {
            // Already gone, or nothing we can do about it now; start-up reaping catches what is left.
        }
    }

    public void quietly(List<String> argv) {
        quietly(Command.of(argv));
    }

    /**
     * Runs {@code command} to its end or its deadline, whatever its exit status. Throws only when it cannot be
     * started, or when the caller is interrupted (the child is killed first).
     */
    public CommandResult result(Command command) {
        return result(command, line -> { });
    }

    /**
     * {@link #result(Command)}, handing each line of output to {@code eachLine} as it comes (on a pipe thread), for
     * long runs that report progress; the result still holds the output up to the command's limit, its end kept.
     */
    public CommandResult result(Command command, Consumer<String> eachLine) {
        Process process = launch(command, Optional.empty());
        Output output = new Output(command.outputLimit(), eachLine);
        Future<?> reading = pipes.submit(() -> output.drain(process.getInputStream()));
        pipes.execute(() -> feed(process.getOutputStream(), command.stdin()));
        try {
            boolean exited = awaitOrKill(process, command.timeout());
            awaitQuietly(reading, DRAIN_GRACE);
            // The writer is left to end by itself (the child's exit ends a blocked write): cancelling it skipped
            // feed() when its thread had not begun yet, on a busy host, and so never closed the stdin pipe. A burst
            // of 5,000 starts and stops left ~600 such descriptors open (isola bench density).
            return new CommandResult(exited ? process.exitValue() : -1, !exited, output.text());
        } catch (InterruptedException e) {
            killAndAwait(process);
            throw new HostException("Failed to run " + command.describe() + ": interrupted", e);
        }
    }

    /**
     * Runs {@code command} to its end or its deadline, like {@link #result(Command)}, with its stdout and stderr going
     * to {@code output} instead of a pipe and no input: for a command that leaves a process behind that keeps them,
     * such as an OCI runtime's {@code create}, whose container's output is the runtime's. The result has no output.
     */
    public CommandResult resultTo(Command command, Path appendTo) {
        return awaitResult(launch(command, Optional.of(appendTo)), command);
    }

    /**
     * As {@link #resultTo(Command, Path)}, with {@code stdin} as the program's standard input, which the program
     * may hand on (a runtime's {@code create} to the sandbox it makes). Needs {@link StdinGate#available()}.
     */
    public CommandResult resultTo(Command command, Path appendTo, StdinGate stdin) {
        if (!StdinGate.available()) {
            throw new HostException("Failed to run " + command.describe() + ": this C library cannot pass it a pipe");
        }
        return awaitResult(spawn(command, Optional.of(appendTo),
                () -> SpawnedProcess.start(command, Optional.of(appendTo), stdin, pipes)), command);
    }

    private static CommandResult awaitResult(Process process, Command command) {
        try {
            boolean exited = awaitOrKill(process, command.timeout());
            return new CommandResult(exited ? process.exitValue() : -1, !exited, "");
        } catch (InterruptedException e) {
            killAndAwait(process);
            throw new HostException("Failed to run " + command.describe() + ": interrupted", e);
        }
    }

    private static ProcessBuilder builder(Command command) {
        ProcessBuilder builder = new ProcessBuilder(command.argv()).redirectErrorStream(true);
        command.directory().ifPresent(d -> builder.directory(d.toFile()));
        command.environment().ifPresent(env -> {
            builder.environment().clear();
            builder.environment().putAll(env);
        });
        return builder;
    }

    /**
     * A tool's process: through {@link PosixSpawn} where the C library has it (no system call per descriptor the
     * server holds), else through the JDK. On a spawn thread when the caller is virtual, since either
     * way the call waits in native code until the child has exec'd.
     */
    private Process launch(Command command, Optional<Path> appendTo) {
        return spawn(command, appendTo, () -> SpawnedProcess.start(command, appendTo, pipes));
    }

    /** {@code spawned}, on a spawn thread when the caller is virtual; where it cannot be, through the JDK. */
    private Process spawn(Command command, Optional<Path> appendTo, Supplier<Process> spawned) {
        if (!PosixSpawn.available()) {
            ProcessBuilder builder = builder(command);
            appendTo.ifPresent(file -> builder.redirectOutput(ProcessBuilder.Redirect.appendTo(file.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))));
            return start(builder);
        }
        if (!Thread.currentThread().isVirtual()) {
            return spawned.get();
        }
        return onSpawnThread(spawned::get, command.argv().getFirst());
    }

    /** Whether {@code process} exited by {@code timeout}; if not, it and what it forked are killed. */
    private static boolean awaitOrKill(Process process, Duration timeout) throws InterruptedException {
        if (process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return true;
        }
        killTree(process);
        process.waitFor(KILL_GRACE.toNanos(), TimeUnit.NANOSECONDS);
        return false;
    }

    /**
     * Kills an interrupted caller's command and waits (bounded) until it is gone, the interrupt flag set again after:
     * the caller's clean-up comes next, and a killed {@code runc create} that is still running could make a cgroup or
     * a state directory after that clean-up has looked for it.
     */
    private static void killAndAwait(Process process) {
        killTree(process);
        try {
            process.waitFor(KILL_GRACE.toNanos(), TimeUnit.NANOSECONDS); // the flag was cleared by the catch
        } catch (InterruptedException again) {
            // interrupted twice: stop waiting, the caller is being torn down anyway
        } finally {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts a long-lived child the caller owns (and stops), its output appended to {@code appendTo}, its stdin from
     * {@code /dev/null}, its exit seen by {@code exits}: no thread of its own waits for it (the JDK's children each
     * hold a "process reaper" thread for their whole life), so a node with thousands of such children keeps a flat
     * thread count. Where the C library lacks what {@link PosixSpawn} needs, through the JDK instead.
     */
    public Process startWatched(Command command, Path appendTo, PidfdExits exits) {
        return spawn(command, Optional.of(appendTo), () -> SpawnedProcess.startWatched(command, appendTo, exits));
    }

    /**
     * Starts a long-lived child the caller owns (and stops): on a spawn thread when the caller is a virtual thread.
     * An interrupt while it starts does not lose the child: the caller gets it, with its interrupt flag set.
     */
    public Process start(ProcessBuilder builder) {
        String program = builder.command().getFirst();
        try {
            return Thread.currentThread().isVirtual() ? onSpawnThread(builder::start, program) : builder.start();
        } catch (IOException e) {
            throw new HostException("Failed to start " + program + ": " + e.getMessage(), e);
        }
    }

    private Process onSpawnThread(Callable<Process> starting, String program) {
        Future<Process> started = spawner.submit(starting);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return started.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the process starts anyway: wait for it, so that the caller owns it
                }
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof HostException h ? h
                    : new HostException("Failed to start " + program + ": " + e.getCause().getMessage(), e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * SIGKILL to {@code process} and every process it forked. The descendants are listed from our own child's live
     * tree before it dies (afterwards they are re-parented and no longer found), and a {@link ProcessHandle} pins the
     * start time as well as the pid, so a recycled pid is never hit.
     */
    public static void killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    private static void feed(OutputStream stdin, String input) {
        try (stdin) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // The child exited without reading its input; its exit status says what happened.
        }
    }

    private static void awaitQuietly(Future<?> task, Duration grace) throws InterruptedException {
        try {
            task.get(grace.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // A grandchild still holds the pipe: what was read so far is the output.
        }
    }

    private static String suffix(String output) {
        return output.isEmpty() ? "" : ": " + output;
    }

    /**
     * Combined output up to a limit; the rest is read and dropped so the child never blocks on a full pipe. Lines
     * go to a consumer as they complete (a line longer than {@value #MAX_LINE} bytes is cut there).
     */
    private static final class Output {
        private static final int MAX_LINE = 8192;

        private final int limit;
        private final Consumer<String> eachLine;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private boolean truncated;

        Output(int limit, Consumer<String> eachLine) {
            this.limit = limit;
            this.eachLine = eachLine;
        }

        void drain(InputStream in) {
            byte[] buffer = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buffer)) != -1; ) {
                    synchronized (this) {
                        int keep = Math.min(n, limit - kept.size());
                        if (keep > 0) {
                            kept.write(buffer, 0, keep);
                        }
                        truncated |= keep < n;
                    }
                    lines(buffer, n);
                }
            } catch (IOException e) {
                // The pipe closes under us when the process is killed; what was read so far is still reported.
            }
            if (line.size() > 0) {
                eachLine.accept(line.toString(StandardCharsets.UTF_8));
            }
        }

        private void lines(byte[] buffer, int n) {
            for (int i = 0; i < n; i++) {
                if (buffer[i] == '\n') {
                    eachLine.accept(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else if (line.size() < MAX_LINE) {
                    line.write(buffer[i]);
                }
            }
        }

        synchronized String text() {
            String text = kept.toString(StandardCharsets.UTF_8).trim();
            return truncated ? text + "\n[output truncated at " + (limit / 1024) + " KiB]" : text;
        }
    }
}
