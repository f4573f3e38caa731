package dev.isola.sandbox.spi;

import java.net.InetSocketAddress;
import java.util.Optional;

/** One running sandbox serving one function version. */
public interface Instance extends AutoCloseable {
    String id();

    /** Address the function listens on, reachable from the gateway. */
    InetSocketAddress endpoint();

    /** Whether the sandbox is still running. Cheap: called on every release. */
    boolean isAlive();

    /** Why the sandbox stopped, once it has ("exited with status 2", "killed: out of memory"). */
    Optional<String> exitReason();

    /** Stops the sandbox and removes everything it created. Idempotent; never throws. */
    @Override
    void close();
}
