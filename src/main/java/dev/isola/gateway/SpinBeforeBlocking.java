package dev.isola.gateway;

import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;

import java.util.function.LongSupplier;

/**
 * An event loop's choice between blocking for I/O and polling for it: it polls for up to {@code window} before it
 * blocks, but only while waits are short.
 *
 * <p>Why: at low concurrency most of a proxied call's added latency is wake-ups. Each call puts the loop to sleep
 * twice (waiting for the instance's answer, then for the client's next request), and on a virtual machine waking a
 * sleeping thread on an idle vCPU costs tens of microseconds. A loop that polls for a moment before it sleeps is
 * already running when the answer arrives.
 *
 * <p>Polling burns CPU, so it is adaptive, like a spinning lock: a loop only polls while its last wait ended within
 * the window (a poll would have caught it). One poll that runs out turns polling off until a blocking wait proves
 * short again, so sparse traffic and an idle gateway never poll, and the CPU a loop can waste is one window per
 * change from busy to quiet. Under load the loop always has work and never waits at all.
 */
final class SpinBeforeBlocking implements SelectStrategy {
    private final long windowNanos;
    private final LongSupplier clock;
    /** When the loop last went to block, or 0 while it is not blocked. */
    private long blockedAt;
    /** When the current poll started, or 0 while not polling. */
    private long pollingSince;
    private boolean poll;

    SpinBeforeBlocking(long windowNanos) {
        this(windowNanos, System::nanoTime);
    }

    SpinBeforeBlocking(long windowNanos, LongSupplier clock) {
        this.windowNanos = windowNanos;
        this.clock = clock;
    }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
        long now = clock.getAsLong();
        if (blockedAt != 0) { // back from a blocking wait: would polling have caught what ended it?
            poll = now - blockedAt < windowNanos;
            blockedAt = 0;
        }
        if (hasTasks) {
            pollingSince = 0;
            return selectNow.get();
        }
        if (poll) {
            int ready = selectNow.get();
            if (ready > 0) {
                pollingSince = 0;
                return ready;
            }
            if (pollingSince == 0) {
                pollingSince = now;
            }
            if (now - pollingSince < windowNanos) {
                Thread.yield(); // a runnable thread on this CPU (the instance, the client) goes first
                return CONTINUE;
            }
            poll = false; // ran out: the next waits block until one proves short
            pollingSince = 0;
        }
        blockedAt = now;
        return SELECT;
    }
}
