package dev.isola.server;

import dev.isola.host.OpenFileLimit;
import dev.isola.net.InstanceNetwork;

import java.util.Optional;

/**
 * How many live instances the process's open-file limit leaves room for, said at start: past it starts fail with
 * "too many open files", which an operator should not have to discover under load.
 */
final class OpenFiles {
    /**
     * A live instance's console, the connections to it and its runtime's or VM's handles: measured with
     * {@code bench/density.sh} at 4.0 (runc, crun, 500 instances), 4.0 (microvm) and 4.2 (runsc) per instance.
     */
    static final int PER_INSTANCE = 5;
    /** The listeners, the database, the JVM's own jars and the edge's clients before any instance. */
    static final int PLATFORM_RESERVE = 1024;

    private OpenFiles() {
    }

    static Optional<String> describeRoom() {
        return OpenFileLimit.soft().map(limit -> {
            long room = Math.max(0, (limit - PLATFORM_RESERVE) / PER_INSTANCE);
            return "open-file limit " + limit + ": room for about " + room + " live instances"
                    + (room < 5000 ? " (raise it for more: LimitNOFILE in the service unit, ulimit -n)" : "")
                    + "; containers and VMs with a network fill bridges of " + InstanceNetwork.MAX_BRIDGE_PORTS
                    + " ports each (" + InstanceNetwork.BRIDGE + ", isola1, …, at most "
                    + InstanceNetwork.MAX_BRIDGES + ")";
        });
    }
}
