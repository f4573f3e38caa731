package dev.isola.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A tool run by {@link ProcessRunner}, started with {@link PosixSpawn} instead of {@link ProcessBuilder} (see there
 * why), behind the {@link Process} interface so that the runner treats both alike. Held by a {@link Pidfd} until it
 * is reaped, so a signal never reaches a recycled pid; its end awaited by a blocking wait on a platform thread, as
 * the JDK reaps its own children, or, for a long-lived child, by a shared {@link PidfdExits}. Its pipes are read and
 * written on platform threads too (the runner's pipe pool).
 *
 * <p>Reaping frees the pid for the next process the host starts, so whatever names the child by its pid (its
 * descendants, a {@link ProcessHandle}) does so under {@link #unreaped}, which the reaping takes too: the exit is
 * first awaited without reaping ({@code WNOWAIT}), then reaped under the lock. Listed after a reaping, the
 * "descendants" of a recycled pid were another process's children, and a stop then killed them.
 */
final class SpawnedProcess extends Process {
    private final long pid;
    private final Pidfd pidfd;
    private final OutputStream stdin;
    private final InputStream output;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    /** Held while the pid is used as a name, and to reap: see the class comment. */
    private final Object unreaped = new Object();

    private SpawnedProcess(long pid, Pidfd pidfd, OutputStream stdin, InputStream output) {
        this.pid = pid;
        this.pidfd = pidfd;
        this.stdin = stdin;
        this.output = output;
    }

    /**
     * Starts {@code command} with its stdin and its combined stdout and stderr on pipes or, with {@code appendTo},
     * its output appended to that file and its stdin from {@code /dev/null}; {@code reaper} runs the wait for its
     * exit (a platform thread, blocked until then).
     */
    static SpawnedProcess start(Command command, Optional<Path> appendTo, Executor reaper) {
        return start(command, appendTo, null, reaper);
    }

    /** As {@link #start(Command, Optional, Executor)}, its stdin from {@code gate} when not null. */
    static SpawnedProcess start(Command command, Optional<Path> appendTo, StdinGate gate, Executor reaper) {
        SpawnedProcess process = spawn(command, appendTo, gate);
        reaper.execute(process::reap);
        return process;
    }

    /**
     * Starts {@code command} with its output appended to {@code appendTo} and its stdin from {@code /dev/null}, and
     * reaps it once {@code exits} sees it end: no thread waits for it, so thousands of such children cost one
     * thread in all.
     */
    static SpawnedProcess startWatched(Command command, Path appendTo, PidfdExits exits) {
        SpawnedProcess process = spawn(command, Optional.of(appendTo), null);
        try {
            // Seen ended, it is a zombie: the wait returns at once. A closed pidfd counts as ended too, but only
            // reap() closes it, after its wait.
            exits.onExit(process.pidfd).thenRun(process::reap);
        } catch (RuntimeException e) {
            // Not watched (epoll refused it): a child nobody would reap must not run on.
            process.pidfd.signal(Pidfd.SIGKILL);
            process.reap();
            throw e;
        }
        return process;
    }

    private static SpawnedProcess spawn(Command command, Optional<Path> appendTo, StdinGate gate) {
        int[] in = appendTo.isPresent() ? null : PosixSpawn.pipe();
        int[] out;
        try {
            out = appendTo.isPresent() ? null : PosixSpawn.pipe();
        } catch (RuntimeException e) {
            LinuxCalls.close(in[0]); // out of descriptors: the first pipe must not add to that
            LinuxCalls.close(in[1]);
            throw e;
        }
        long pid;
        try {
            int stdin = gate != null ? gate.readEnd() : in == null ? -1 : in[0];
            pid = PosixSpawn.spawn(command.argv(), command.directory(), command.environment(),
                    stdin, out == null ? -1 : out[1], appendTo.orElse(null));
        } catch (RuntimeException e) {
            if (in != null) {
                LinuxCalls.close(in[1]);
                LinuxCalls.close(out[0]);
            }
            throw e;
        } finally {
            if (gate != null) {
                gate.readEndGiven();
            }
            if (in != null) { // the child's ends: it has its own copies now, or never will
                LinuxCalls.close(in[0]);
                LinuxCalls.close(out[1]);
            }
        }
        // The child is ours until it is reaped, so its pid cannot have been recycled yet.
        Pidfd pidfd;
        try {
            pidfd = Pidfd.open(pid);
        } catch (RuntimeException e) {
            // No descriptor for it (the process is out of them, say): a child nobody watches must not run on, nor
            // its pipes stay open. Still ours and unreaped, its pid is safe to signal.
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            PosixSpawn.waitpid(pid);
            if (in != null) {
                LinuxCalls.close(in[1]);
                LinuxCalls.close(out[0]);
            }
            throw e;
        }
        return new SpawnedProcess(pid, pidfd,
                in == null ? OutputStream.nullOutputStream() : new DescriptorOutput(in[1]),
                out == null ? InputStream.nullInputStream() : new DescriptorInput(out[0]));
    }

    /** Waits for the exit (at once, for a child seen ended), then reaps under {@link #unreaped}. */
    private void reap() {
        try {
            PosixSpawn.awaitExit(pid);
            synchronized (unreaped) {
                exit.complete(PosixSpawn.waitpid(pid));
            }
        } catch (RuntimeException e) {
            exit.completeExceptionally(e);
        } finally {
            pidfd.close();
        }
    }

    @Override
    public OutputStream getOutputStream() {
        return stdin;
    }

    @Override
    public InputStream getInputStream() {
        return output;
    }

    @Override
    public InputStream getErrorStream() {
        return InputStream.nullInputStream(); // stderr goes with stdout
    }

    @Override
    public int waitFor() throws InterruptedException {
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw new HostException("Failed to wait for " + pid + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            exit.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    @Override
    public int exitValue() {
        if (!exit.isDone()) {
            throw new IllegalThreadStateException("process " + pid + " has not exited");
        }
        return exit.isCompletedExceptionally() ? -1 : exit.join();
    }

    @Override
    public void destroy() {
        pidfd.signal(Pidfd.SIGTERM);
    }

    @Override
    public Process destroyForcibly() {
        pidfd.signal(Pidfd.SIGKILL);
        return this;
    }

    @Override
    public boolean isAlive() {
        return !exit.isDone();
    }

    @Override
    public long pid() {
        return pid;
    }

    /**
     * A handle that pins the child's start time, so it can never act on another process; thrown
     * {@link UnsupportedOperationException} once the child is reaped.
     */
    @Override
    public ProcessHandle toHandle() {
        synchronized (unreaped) {
            return ProcessHandle.of(pid).filter(h -> !exit.isDone()).orElseThrow(() ->
                    new UnsupportedOperationException("process " + pid + " has exited"));
        }
    }

    /** Its descendants now; none once it is reaped (they were given to another parent when it exited anyway). */
    @Override
    public Stream<ProcessHandle> descendants() {
        synchronized (unreaped) {
            return exit.isDone() ? Stream.empty()
                    : ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of()).stream();
        }
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return exit.handle((code, failure) -> this);
    }

    /** The read end of the child's output pipe; blocking reads, so only on a platform thread. */
    private static final class DescriptorInput extends InputStream {
        private volatile int fd;

        DescriptorInput(int fd) {
            this.fd = fd;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int fd = this.fd;
            if (fd < 0) {
                throw new IOException("closed");
            }
            if (length == 0) {
                return 0;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = arena.allocate(length);
                long n = LinuxCalls.read(fd, data, length);
                if (n < 0) {
                    throw new IOException("read from the child's output failed");
                }
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, buffer, offset, (int) n);
                return n == 0 ? -1 : (int) n;
            }
        }

        @Override
        public synchronized void close() {
            if (fd >= 0) {
                LinuxCalls.close(fd);
                fd = -1;
            }
        }
    }

    /** The write end of the child's stdin pipe; blocking writes, so only on a platform thread. */
    private static final class DescriptorOutput extends OutputStream {
        private volatile int fd;

        DescriptorOutput(int fd) {
            this.fd = fd;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] buffer, int offset, int length) throws IOException {
            int fd = this.fd;
            if (fd < 0) {
                throw new IOException("closed");
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = arena.allocate(Math.max(1, length));
                MemorySegment.copy(buffer, offset, data, ValueLayout.JAVA_BYTE, 0, length);
                for (long written = 0; written < length; ) {
                    long n = LinuxCalls.write(fd, data.asSlice(written), length - written);
                    if (n < 0) {
                        throw new IOException("the child no longer reads its input");
                    }
                    written += n;
                }
            }
        }

        @Override
        public synchronized void close() {
            if (fd >= 0) {
                LinuxCalls.close(fd);
                fd = -1;
            }
        }
    }
}
