package dev.isola.sandbox.spi;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Starts processes for virtual threads on platform threads of its own. {@link ProcessBuilder#start()} is a native
 * call (fork, exec of the JDK's spawn helper, and a wait until the child has exec'd its program) that pins the
 * virtual thread's carrier for its whole duration, and there are only as many carriers as cores: in a burst of
 * cold starts on a busy 2-core host, pinned spawns held both carriers for tens of milliseconds at a time, and every
 * other virtual thread (the gateway's hand-off of the next requests, readiness probes, the proxying) waited behind
 * them; a request of the burst could arrive at the dispatcher 100 ms late and find another request's instance
 * already free. Here the virtual thread parks until a spawn thread has started the process.
 */
public final class ProcessStarter {
    /** Enough that spawns never wait for each other on a host busy starting sandboxes; idle threads end. */
    private static final ThreadPoolExecutor THREADS = new ThreadPoolExecutor(
            4 * Runtime.getRuntime().availableProcessors(), 4 * Runtime.getRuntime().availableProcessors(),
            30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
            Thread.ofPlatform().daemon().name("isola-spawn-", 0).factory());

    static {
        THREADS.allowCoreThreadTimeOut(true);
    }

    private ProcessStarter() {
    }

    /** {@code builder.start()}, on a spawn thread when called on a virtual thread. */
    public static Process start(ProcessBuilder builder) throws IOException {
        if (!Thread.currentThread().isVirtual()) {
            return builder.start();
        }
        Future<Process> started = THREADS.submit(builder::start);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return started.get();
                } catch (InterruptedException e) {
                    // The process starts anyway: wait for it, so that the caller owns (and stops) it.
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case RuntimeException r -> throw r;
                case Error err -> throw err;
                default -> throw new IOException(e.getCause());
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
