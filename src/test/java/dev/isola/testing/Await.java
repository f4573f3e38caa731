package dev.isola.testing;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * The one way tests wait for a state: poll a probe until it shows the state or the deadline passes, then fail saying
 * what was awaited and the last value seen. Tests never sleep for a state (STYLE rule 11): a fixed sleep is either too
 * short on a loaded machine or wasted time on an idle one.
 *
 * <p>The pause between polls starts at {@value #FIRST_PAUSE_MILLIS} ms and doubles up to {@value #MAX_PAUSE_MILLIS}
 * ms: a state that comes quickly is seen quickly, and a probe that runs host commands (the leak checks list
 * containers) does not keep a shared, 2-core machine busy while something slow settles. A probe that throws ends
 * the wait with that exception: a broken probe is not a state to wait for.
 */
public final class Await {
    private static final long FIRST_PAUSE_MILLIS = 1;
    private static final long MAX_PAUSE_MILLIS = 100;

    private Await() {
    }

    /** Reads a state; may fail (a file listing, an HTTP call). */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    /** Whether a state has come; may fail like a {@link Probe}. */
    @FunctionalInterface
    public interface Condition {
        boolean test() throws Exception;
    }

    /**
     * Polls {@code probe} until {@code done} accepts its value and returns that value.
     *
     * @param what what is awaited, as the failure message should say it ("instances of c-idle to stop")
     * @throws AssertionError at the deadline, naming {@code what} and the last value seen
     */
    public static <T> T until(Duration timeout, Probe<T> probe, Predicate<? super T> done, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_MILLIS;
        while (true) {
            T value = read(probe);
            if (done.test(value)) {
                return value;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("Timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + "; last seen: " + value);
            }
            pause(Math.min(pause, Duration.ofNanos(left).toMillis() + 1));
            pause = Math.min(pause * 2, MAX_PAUSE_MILLIS);
        }
    }

    /** Polls {@code condition} until it holds; at the deadline fails naming {@code what}. */
    public static void until(Duration timeout, Condition condition, String what) {
        until(timeout, condition::test, Boolean::booleanValue, what);
    }

    private static <T> T read(Probe<T> probe) {
        try {
            return probe.get();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while polling", e);
        } catch (Exception e) {
            throw new IllegalStateException("Failed to poll: " + e, e);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting", e);
        }
    }
}
