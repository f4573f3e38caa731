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

    /** Stops the process recorded in {@code workDir} and its descendants, if it is still running; true if it did. */
    static boolean stopLeftover(Path workDir) {
        Optional<ProcessHandle> recorded = read(workDir.resolve(FILE));
        if (recorded.isEmpty()) {
            return false;
        }
        List<ProcessHandle> all = new ArrayList<>(recorded.get().descendants().toList());
        all.add(recorded.get());
        all.forEach(ProcessHandle::destroyForcibly);
        try {
            CompletableFuture.allOf(all.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
                    .get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "process: a leftover instance process in " + workDir
                    + " did not exit within " + STOP_WAIT_SECONDS + " s of SIGKILL");
        }
        return true;
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
