package dev.isola.sandbox.process;

import dev.isola.sandbox.spi.ChildProcessInstance;
import dev.isola.sandbox.spi.OutputSink;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A function running as a plain child process(). */
final class ProcessInstance extends ChildProcessInstance {
    private static final long TERM_GRACE_MILLIS = 2_000;

    private final Runnable releasePort;

    ProcessInstance(String id, Process process, InetSocketAddress endpoint, OutputSink output, Runnable releasePort) {
        super(id, process, endpoint, output);
        this.releasePort = releasePort;
    }

    @Override
    public Optional<String> exitReason() {
        if (process().isAlive()) {
            return Optional.empty();
        }
        int status = process().exitValue();
        // Java reports death by signal N as 128 + N.
        return Optional.of(status > 128 ? "killed by signal " + (status - 128) : "exited with status " + status);
    }

    /**
     * SIGTERM, a grace period, then SIGKILL — to the child and to every descendant it spawned. The handles come from
     * our own child: its PID cannot be reused before we reap it, so the signals cannot hit an unrelated process().
     */
    @Override
    public void close() {
        if (!beginClose()) {
            return;
        }
        List<ProcessHandle> descendants = process().descendants().toList();
        process().destroy();
        descendants.forEach(ProcessHandle::destroy);
        try {
            if (!process().waitFor(TERM_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                process().destroyForcibly();
                process().waitFor(TERM_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            }
            descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            awaitOutput(TERM_GRACE_MILLIS);
        } catch (InterruptedException e) {
            process().destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            releasePort.run();
        }
    }
}
