package dev.isola.dispatch;

import dev.isola.Ticker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Admission of sandbox starts while the CPU is saturated. n sandboxes that boot at once on a host with few cores
 * share the CPU and all finish late (processor sharing): a burst of 100 gVisor starts on 2 cores had its calls
 * answered after 6-9 s, and most of them near the end. Admitted in turn while the CPU is saturated, the first ones
 * finish early, and the mean drops for about the same time to the last one.
 *
 * <p>Saturation is the kernel's CPU pressure ({@code /proc/pressure/cpu}, "some": the share of time in which a
 * runnable task waited for a CPU) over the last {@value #WINDOW_MILLIS} ms. As many starts as the host has cores
 * are always admitted; more only while the pressure is below {@value #SATURATED_PERCENT} %, and each of those only
 * on a reading of a window that began after the one before it was admitted: a burst that arrives at once is not let
 * in whole on one reading of an idle host, taken before any of it ran. So starts that wait on
 * something other than the CPU (a function that sleeps in its init, a microVM's timers) are admitted one window
 * apart, and everything on a host without pressure information as it comes (then admission is off). Waiting starts
 * are admitted in the order they came.
 */
final class StartAdmission {
    static final long WINDOW_MILLIS = 10;
    static final int SATURATED_PERCENT = 50;
    /** How often a start that is not next looks at its deadline: a thousand waiting cost a thousand wake-ups a second. */
    private static final long QUEUED_RECHECK_MILLIS = 1_000;
    private static final Path PRESSURE = Path.of("/proc/pressure/cpu");

    private final int alwaysAdmitted;
    /** Cumulative microseconds of CPU stall ("some"), or empty when the host does not say. */
    private final Optional<LongSupplier> stallMicros;
    private final Ticker ticker;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Condition> waiting = new ArrayDeque<>();
    private int admitted;
    private long sampledNanos;
    private long sampledStall;
    private boolean saturated;

    StartAdmission(int alwaysAdmitted, Optional<LongSupplier> stallMicros, Ticker ticker) {
        this.alwaysAdmitted = alwaysAdmitted;
        this.stallMicros = stallMicros;
        this.ticker = ticker;
        stallMicros.ifPresent(s -> {
            sampledNanos = ticker.nanos();
            sampledStall = s.getAsLong();
        });
    }

    /**
     * For this host: one start per core always, more while the CPU has room; {@code off} admits every start.
     * {@code setting} is validated by the configuration ({@code startAdmission}).
     */
    static StartAdmission forHost(String setting, Ticker ticker) {
        int cores = Runtime.getRuntime().availableProcessors();
        if ("off".equals(setting) || readStall().isEmpty()) {
            return new StartAdmission(cores, Optional.empty(), ticker);
        }
        return new StartAdmission(cores, Optional.of(() -> readStall().orElse(0L)), ticker);
    }

    /**
     * Blocks until the start may begin (true), or until {@code timeout} has passed (false: the start is not admitted
     * and must not begin). Every admission is followed by one {@link #finished()}. Bounded: a burst of starts that
     * each take long (gVisor, a microVM under TCG) queued the later ones for many times the start timeout, past
     * their callers' patience, each holding its slot and its room in the node's budget.
     */
    boolean admit(Duration timeout) throws InterruptedException {
        long deadline = ticker.nanos() + timeout.toNanos();
        lock.lock();
        try {
            if (waiting.isEmpty() && mayStart()) {
                admitted();
                return true;
            }
            Condition turn = lock.newCondition();
            waiting.addLast(turn);
            try {
                while (waiting.peekFirst() != turn || !mayStart()) {
                    if (ticker.nanos() - deadline >= 0) {
                        return false;
                    }
                    // The head looks at the pressure each window; the others at their deadline now and then.
                    turn.await(waiting.peekFirst() == turn ? WINDOW_MILLIS : QUEUED_RECHECK_MILLIS,
                            TimeUnit.MILLISECONDS);
                }
                admitted();
                return true;
            } finally {
                waiting.remove(turn);
                Condition next = waiting.peekFirst();
                if (next != null) {
                    next.signal();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Starts waiting for their turn. */
    int waiting() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    /** The admitted start is ready, or failed. */
    void finished() {
        lock.lock();
        try {
            admitted--;
            Condition next = waiting.peekFirst();
            if (next != null) {
                next.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Counts an admission; one beyond the cores makes the next wait for a reading that includes it. */
    private void admitted() {
        admitted++;
        if (admitted > alwaysAdmitted && stallMicros.isPresent()) {
            sampledNanos = ticker.nanos();
            sampledStall = stallMicros.get().getAsLong();
            saturated = true; // unknown until the window has passed
        }
    }

    private boolean mayStart() {
        return admitted < alwaysAdmitted || stallMicros.isEmpty() || !saturated();
    }

    /** Whether the CPU was saturated in the last window; sampled at most once per window. */
    private boolean saturated() {
        long now = ticker.nanos();
        long elapsedMicros = TimeUnit.NANOSECONDS.toMicros(now - sampledNanos);
        if (elapsedMicros >= TimeUnit.MILLISECONDS.toMicros(WINDOW_MILLIS)) {
            long stall = stallMicros.get().getAsLong();
            saturated = (stall - sampledStall) * 100 >= elapsedMicros * SATURATED_PERCENT;
            sampledNanos = now;
            sampledStall = stall;
        }
        return saturated;
    }

    /** The "some total=" of {@code /proc/pressure/cpu}, if the kernel has pressure information turned on. */
    private static Optional<Long> readStall() {
        try {
            String first = Files.readAllLines(PRESSURE).getFirst();
            int at = first.indexOf("total=");
            return at < 0 ? Optional.empty() : Optional.of(Long.parseLong(first.substring(at + 6).trim()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // no such file, or "operation not supported" (psi=0)
        }
    }
}
