package dev.isola.host;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Stopping a process the platform owns: polite signals first, each followed by a grace period, and SIGKILL
 * at the end for whatever still runs. Every wait has a deadline, and the stop always reaches its end: an interrupt of
 * the caller (a drain aborting the start this stop undoes, say) is remembered and restored afterwards instead of
 * cutting the stop short, which would leave the sandbox running.
 *
 * <p>The signals go to the {@link Process} the platform started, whose pid cannot be reused before it is reaped, or
 * through a {@link Pidfd}, which names one process and not its number, so they cannot hit an unrelated process.
 */
public final class ProcessStop {
    private record Step(Runnable signal, Duration grace) {
    }

    /** What is stopped, a child of the platform's or a process held by a pidfd, as the steps need it. */
    private record Target(BooleanSupplier alive, Waiter waiter, Runnable term, Runnable kill) {
        boolean isAlive() {
            return alive.getAsBoolean();
        }

        void awaitExit(Duration timeout) throws InterruptedException {
            waiter.await(timeout);
        }
    }

    @FunctionalInterface
    private interface Waiter {
        void await(Duration timeout) throws InterruptedException;
    }

    private final Target process;
    private final List<Step> steps = new ArrayList<>();
    private Runnable kill;

    private ProcessStop(Target process) {
        this.process = process;
        this.kill = process.kill();
    }

    public static ProcessStop of(Process process) {
        return new ProcessStop(new Target(process::isAlive,
                timeout -> process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS), process::destroy,
                process::destroyForcibly));
    }

    public static ProcessStop of(Pidfd process) {
        return new ProcessStop(new Target(process::isAlive, process::awaitExit, () -> process.signal(Pidfd.SIGTERM),
                () -> process.signal(Pidfd.SIGKILL)));
    }

    /** Sends {@code signal} if the process still runs, then waits up to {@code grace} for it to exit. */
    public ProcessStop then(Runnable signal, Duration grace) {
        steps.add(new Step(signal, grace));
        return this;
    }

    /** SIGTERM to the process, then up to {@code grace}. */
    public ProcessStop term(Duration grace) {
        return then(process.term(), grace);
    }

    /** What the last step does instead of SIGKILL to the process alone (also kill its descendants, say). */
    public ProcessStop killWith(Runnable finalKill) {
        this.kill = finalKill;
        return this;
    }

    /** Runs the steps until the process has exited, then SIGKILL and up to {@code killGrace}; true if it exited. */
    public boolean run(Duration killGrace) {
        boolean interrupted = Thread.interrupted();
        try {
            for (Step step : steps) {
                if (!process.isAlive()) {
                    return true;
                }
                step.signal().run();
                interrupted |= awaitExit(step.grace());
            }
            if (process.isAlive()) {
                kill.run();
                interrupted |= awaitExit(killGrace);
            }
            return !process.isAlive();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits for the exit up to {@code grace}; returns whether an interrupt came meanwhile (and waits on anyway). */
    private boolean awaitExit(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        boolean interrupted = false;
        while (true) {
            try {
                process.awaitExit(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }
}
