package dev.isola.sandbox.spi;

import java.net.InetSocketAddress;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An instance whose life is one child process of the platform (the function itself, or a VMM): liveness is the
 * child's, its output is written to its {@link Console}, and {@link #beginClose()} makes {@code close()} idempotent.
 */
public abstract class ChildProcessInstance implements Instance {
    private final String id;
    private final Process process;
    private final InetSocketAddress endpoint;
    private final Console console;
    private final AtomicBoolean closing = new AtomicBoolean();

    protected ChildProcessInstance(String id, Process process, InetSocketAddress endpoint, Console console) {
        this.id = id;
        this.process = process;
        this.endpoint = endpoint;
        this.console = console;
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

    /** Delivers what the sandbox printed up to now, its last words once it is dead. */
    protected final void drainOutput() {
        console.drain();
    }
}
