package dev.isola.dispatch;

import dev.isola.function.DeployedFunction;
import dev.isola.sandbox.spi.Instance;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A launcher whose instances are plain objects: lets pool tests count starts, stops and crashes exactly. */
final class FakeLauncher implements Launcher {
    final List<FakeInstance> started = new CopyOnWriteArrayList<>();
    final AtomicInteger alive = new AtomicInteger();
    /** How often any instance was asked whether it is alive (each one a system call in a real sandbox). */
    final AtomicInteger livenessChecks = new AtomicInteger();
    final AtomicInteger maxAlive = new AtomicInteger();
    volatile boolean failNext;
    /** While set, every launch fails (a function whose code exits at start); each such launch is counted. */
    volatile boolean failEvery;
    final AtomicInteger failed = new AtomicInteger();
    /** When set, the next launch throws it (an Error: out of memory, say), not a start failure. */
    volatile Error errorNext;
    /** When set, launches block until interrupted (a sandbox still booting), then fail as the real launcher does. */
    volatile CountDownLatch hangUntilInterrupted;
    final AtomicInteger interruptedLaunches = new AtomicInteger();
    /** When set, launches wait for it to open (a slow sandbox); {@link #maxLaunching} counts how many at once. */
    volatile CountDownLatch gate;
    /** When set, stops wait for it to open (a sandbox that ignores SIGTERM, stopped seconds later). */
    volatile CountDownLatch stopGate;
    final AtomicInteger launching = new AtomicInteger();
    final AtomicInteger maxLaunching = new AtomicInteger();

    @Override
    public String backend(DeployedFunction function) {
        return "fake";
    }

    @Override
    public Instance launch(DeployedFunction function, String instanceId, EndpointProbe probe) {
        if (failNext || failEvery) {
            failNext = false;
            failed.incrementAndGet();
            throw new StartFailedException("fn=" + function.name() + ": boom");
        }
        Error error = errorNext;
        if (error != null) {
            errorNext = null;
            throw error;
        }
        CountDownLatch slow = gate;
        if (slow != null) {
            maxLaunching.accumulateAndGet(launching.incrementAndGet(), Math::max);
            try {
                slow.await();
            } catch (InterruptedException e) {
                interruptedLaunches.incrementAndGet();
                throw new StartFailedException("fn=" + function.name() + ": interrupted while starting");
            } finally {
                launching.decrementAndGet();
            }
        }
        if (hangUntilInterrupted != null) {
            hangUntilInterrupted.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                interruptedLaunches.incrementAndGet();
                throw new StartFailedException("fn=" + function.name() + ": interrupted while starting");
            }
        }
        return newInstance(instanceId);
    }

    private FakeInstance newInstance(String id) {
        FakeInstance instance = new FakeInstance(id);
        started.add(instance);
        maxAlive.accumulateAndGet(alive.incrementAndGet(), Math::max);
        return instance;
    }

    /** Standby sandboxes: offered when set; each made is kept here, and a start of one may be made to fail. */
    volatile boolean offersStandby;
    volatile boolean failStandbyStart;
    final List<FakePrepared> prepared = new CopyOnWriteArrayList<>();
    /** When set, each removal of a standby sandbox waits until this many have begun (or 5 s). */
    volatile CountDownLatch removalGate;

    @Override
    public boolean offersStandby(DeployedFunction function) {
        return offersStandby;
    }

    @Override
    public Prepared standby(DeployedFunction function, String instanceId) {
        FakePrepared standby = new FakePrepared(instanceId);
        prepared.add(standby);
        return standby;
    }

    final class FakePrepared implements Prepared {
        final String id;
        final AtomicBoolean used = new AtomicBoolean();
        volatile boolean ran;
        /** Whether its removal ran while all of {@link #removalGate}'s were under way. */
        volatile boolean removedBesideOthers;

        FakePrepared(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public OptionalLong pid() {
            return OptionalLong.empty();
        }

        @Override
        public Instance start(EndpointProbe probe) {
            if (!used.compareAndSet(false, true)) {
                throw new AssertionError("standby " + id + " used twice");
            }
            if (failStandbyStart) {
                throw new StartFailedException("inst=" + id + ": the standby sandbox's init exited");
            }
            ran = true;
            return newInstance(id);
        }

        @Override
        public void close() {
            if (!used.compareAndSet(false, true)) {
                throw new AssertionError("standby " + id + " used twice");
            }
            CountDownLatch gate = removalGate;
            if (gate != null) {
                gate.countDown();
                try {
                    removedBesideOthers = gate.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        boolean removed() {
            return used.get() && !ran;
        }
    }

    long closedCount() {
        return started.stream().filter(i -> i.closed.get()).count();
    }

    final class FakeInstance implements Instance {
        final String id;
        final AtomicBoolean closed = new AtomicBoolean();
        volatile boolean crashed;

        FakeInstance(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public InetSocketAddress endpoint() {
            return InetSocketAddress.createUnresolved("fake", 1);
        }

        @Override
        public boolean isAlive() {
            livenessChecks.incrementAndGet();
            return !crashed && !closed.get();
        }

        @Override
        public Optional<String> exitReason() {
            return crashed ? Optional.of("crashed") : Optional.empty();
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                throw new AssertionError("instance " + id + " closed twice");
            }
            CountDownLatch slow = stopGate;
            if (slow != null) {
                try {
                    slow.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            alive.decrementAndGet();
        }
    }
}
