package dev.isola.sandbox.spi;

import java.net.InetSocketAddress;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An instance whose life is one child process of the platform (the function itself, or a runtime such as
 * {@code runc run} in the foreground): liveness is the child's, its output is pumped into the sink, and
 * {@link #beginClose()} makes {@code close()} idempotent.
 */
public abstract class ChildProcessInstance implements Instance {
    private final String id;
    private final Process process;
    private final InetSocketAddress endpoint;
    private final Thread pump;
    private final AtomicBoolean closing = new AtomicBoolean();

    protected ChildProcessInstance(String id, Process process, InetSocketAddress endpoint, OutputSink output) {
        this.id = id;
        this.process = process;
        this.endpoint = endpoint;
        this.pump = output.pump(process.getInputStream(), id);
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final InetSocketAddress endpoint() {
        return endpoint;
    }

    @Override
    public final boolean isAlive() {
        return process.isAlive();
    }

    /** When the child has exited: what {@link #onExit()} returns for a sandbox with its own network stack. */
    protected final CompletionStage<Void> childExit() {
        return process.onExit().thenApply(p -> null);
    }

    @Override
    public final OptionalLong pid() {
        return OptionalLong.of(process.pid());
    }

    protected final Process process() {
        return process;
    }

    /** True exactly once: for the first caller of close(). */
    protected final boolean beginClose() {
        return closing.compareAndSet(false, true);
    }

    /** Whether the platform is stopping this instance (so a death now is not the function's doing). */
    protected final boolean closing() {
        return closing.get();
    }

    /** Waits up to {@code millis} for the output pump to deliver the last lines; an interrupt ends the wait. */
    protected final void awaitOutput(long millis) {
        try {
            pump.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
