package dev.isola.cli;

import java.util.logging.LogManager;

/**
 * The JDK's log manager, except that the JVM's shutdown does not close its handlers: the JDK resets logging in a
 * shutdown hook of its own, which runs beside Isola's, so what the drain logs (a deadline passed, calls cut short,
 * sandboxes that would not stop) was lost. Isola's hook ends the process itself once it is done
 * ({@link ServeCommand}); the console handler writes each record through, so nothing is left unflushed.
 */
public final class ShutdownSafeLogManager extends LogManager {
    @Override
    public void reset() {
        if (!shuttingDown()) {
            super.reset();
        }
    }

    /**
     * Whether the JVM is shutting down: it then refuses new shutdown hooks. (A flag set by a hook of ours would
     * race the JDK's hook, since hooks run in no set order.)
     */
    private static boolean shuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }
}
