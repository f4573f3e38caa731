package dev.isola.sandbox.process;

import dev.isola.host.ProcessStop;
import dev.isola.sandbox.spi.ChildProcessInstance;
import dev.isola.sandbox.spi.Console;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A function running as a plain child process. */
final class ProcessInstance extends ChildProcessInstance {
    private static final Duration TERM_GRACE = Duration.ofSeconds(2);

    private final Runnable afterExit;

    ProcessInstance(String id, Process process, InetSocketAddress endpoint, Console console, Runnable afterExit) {
        super(id, process, endpoint, console);
        this.afterExit = afterExit;
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
     * our own child's live tree, listed before it is signalled: its pid cannot be reused before we reap it, and a
     * {@link ProcessHandle} pins the start time too, so the signals cannot hit an unrelated process.
     */
    @Override
    public void close() {
        if (!beginClose()) {
            return;
        }
        List<ProcessHandle> descendants = process().descendants().toList();
        try {
            ProcessStop.of(process())
                    .then(() -> {
                        process().destroy();
                        descendants.forEach(ProcessHandle::destroy);
                    }, TERM_GRACE)
                    .killWith(() -> {
                        process().destroyForcibly();
                        descendants.forEach(ProcessHandle::destroyForcibly);
                    })
                    .run(TERM_GRACE);
            descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            drainOutput();
        } finally {
            afterExit.run();
        }
    }
}
