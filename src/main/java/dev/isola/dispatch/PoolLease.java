package dev.isola.dispatch;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** A call's hold on one slot of one instance of an {@link InstancePool}; released exactly once. */
final class PoolLease implements Lease {
    /** How long a failed exchange waits for a dying sandbox to be reaped, to report why it died. */
    private static final long EXIT_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    private static final long EXIT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final InstancePool pool;
    private final Slot slot;
    private final boolean cold;
    private final long startNanos;
    private boolean released;

    PoolLease(InstancePool pool, Slot slot, boolean cold, long startNanos) {
        this.pool = pool;
        this.slot = slot;
        this.cold = cold;
        this.startNanos = startNanos;
    }

    @Override
    public InetSocketAddress endpoint() {
        return slot.instance.endpoint();
    }

    @Override
    public Duration timeout() {
        return pool.timeout();
    }

    @Override
    public String instanceId() {
        return slot.id;
    }

    @Override
    public String version() {
        return pool.versionText();
    }

    @Override
    public String backend() {
        return pool.backend();
    }

    @Override
    public boolean coldStart() {
        return cold;
    }

    @Override
    public long startNanos() {
        return startNanos;
    }

    @Override
    public boolean instanceAlive() {
        return slot.instance.isAlive();
    }

    @Override
    public boolean servingOthers() {
        return pool.inFlight(slot) > 1;
    }

    @Override
    public Optional<String> exitReason() {
        long deadline = pool.ticker().nanos() + EXIT_WAIT_NANOS;
        while (slot.instance.isAlive() && pool.ticker().nanos() - deadline < 0
                && !Thread.currentThread().isInterrupted()) {
            LockSupport.parkNanos(EXIT_POLL_NANOS);
        }
        return slot.instance.exitReason();
    }

    @Override
    public void release(boolean healthy) {
        if (released) {
            throw new IllegalStateException("lease of " + slot.id + " released twice");
        }
        released = true;
        pool.release(slot, healthy);
    }
}
