package dev.isola.host;

/**
 * Clean-ups that must run to their end on a thread that was interrupted (a drain, DELETE or shutdown aborting a
 * start): with the flag set, the first wait of their host commands would throw, and what the start had made (a
 * network namespace, a veth, a half-made container's cgroups) would be left for good.
 */
public final class Uninterrupted {
    private Uninterrupted() {
    }

    /** Runs {@code cleanUp} with the interrupt flag cleared, and sets it again afterwards if it was set. */
    public static void run(Runnable cleanUp) {
        boolean interrupted = Thread.interrupted();
        try {
            cleanUp.run();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
