package dev.isola.sandbox.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The record of an instance's process in its work directory ({@code process.pid}: pid and start time), so that the
 * next run of the platform can stop the instances a crashed run left (plain children outlive their parent). The
 * start time guards against a reused pid: a process is stopped only if it is the very process that was recorded.
 */
final class ProcessRecord {
    static final String FILE = "process.pid";
    private static final System.Logger LOG = System.getLogger(ProcessRecord.class.getName());
    private static final long STOP_WAIT_SECONDS = 5;

    private ProcessRecord() {
    }

    static void write(Path workDir, ProcessHandle process) throws IOException {
        Files.writeString(workDir.resolve(FILE), process.pid() + " " + startMillis(process).orElse(-1L) + "\n");
    }

    /**
     * SIGKILLs the process recorded in {@code workDir} and its descendants, if it is still running; the processes
     * signalled (none if it was gone), for {@link #awaitExit} to wait for with the others.
     */
    static List<ProcessHandle> killLeftover(Path workDir) {
        Optional<ProcessHandle> recorded = read(workDir.resolve(FILE));
        if (recorded.isEmpty()) {
            return List.of();
        }
        List<ProcessHandle> all = new ArrayList<>(recorded.get().descendants().toList());
        all.add(recorded.get());
        all.forEach(ProcessHandle::destroyForcibly);
        return all;
    }

    /**
     * Waits for all of {@code killed} at once: no longer the child of any live process, a leftover is reaped by the
     * host's init, which may take a while (about 2 s on a host whose init is not systemd); one at a time, a restart
     * after a crash with 8 instances took 20 s.
     */
    static void awaitExit(List<ProcessHandle> killed) {
        try {
            CompletableFuture.allOf(killed.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
                    .get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "process: " + killed.stream().filter(ProcessHandle::isAlive).count()
                    + " leftover instance processes did not exit within " + STOP_WAIT_SECONDS + " s of SIGKILL");
        }
    }

    private static Optional<ProcessHandle> read(Path file) {
        try {
            String[] fields = Files.readString(file).trim().split(" ");
            long pid = Long.parseLong(fields[0]);
            long started = Long.parseLong(fields[1]);
            return ProcessHandle.of(pid).filter(p -> started >= 0 && startMillis(p).orElse(-2L) == started);
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // no record (not a process instance), or a torn one
        }
    }

    private static Optional<Long> startMillis(ProcessHandle process) {
        return process.info().startInstant().map(Instant::toEpochMilli);
    }
}
