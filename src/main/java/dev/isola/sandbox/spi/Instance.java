package dev.isola.sandbox.spi;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** One running sandbox serving one function version. */
public interface Instance extends AutoCloseable {
    String id();

    /** Address the function listens on, reachable from the gateway. */
    InetSocketAddress endpoint();

    /** Whether the sandbox is still running. Cheap: called on every release. */
    boolean isAlive();

    /** Why the sandbox stopped, once it has ("exited with status 2", "killed: out of memory"). */
    Optional<String> exitReason();

    /**
     * Host process id of the sandbox's root process (the function itself, a detached container's init or gVisor
     * sandbox, the VMM), whose process tree holds the sandbox's host processes (not gVisor's gofer); empty when
     * the backend has none. Read-only information for resource accounting ({@code isola bench}): nothing may signal
     * it, the instance owns its stop.
     */
    default OptionalLong pid() {
        return OptionalLong.empty();
    }

    /** How this instance started; a standby sandbox's start is known to the pool that took it, not to the sandbox. */
    default StartKind startKind() {
        return StartKind.COLD;
    }

    /**
     * For sandboxes with a network stack of their own (gVisor's netstack, a VM's kernel): completes when the sandbox
     * has exited, of itself or stopped. Such a sandbox dies without closing its connections (no FIN, no reset), so
     * the platform then closes them itself, requests in flight included, which would otherwise wait out the
     * function's timeout. Never by default: with the host kernel's stack, connections close as the process exits.
     */
    default CompletionStage<Void> onExit() {
        return new CompletableFuture<>();
    }

    /** Stops the sandbox and removes everything it created. Idempotent; never throws. */
    @Override
    void close();
}
