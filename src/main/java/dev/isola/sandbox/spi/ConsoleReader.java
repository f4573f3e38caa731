package dev.isola.sandbox.spi;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads the consoles of every live instance of the node on one platform thread. A thread per instance blocked on
 * its output pipe pinned a virtual-thread carrier each, so at 256 live instances nothing else ran; reading files
 * never blocks for long, and one thread serves thousands of instances.
 *
 * <p>Each console is polled every {@value #TICK_MILLIS} ms while it writes, backing off to every
 * {@value #MAX_PERIOD_TICKS} ticks while it is quiet: an idle node of 1,000 instances costs 5,000 {@code fstat}s a
 * second, and a line reaches the log within 0.2 s. The back-off also bounds the disk a sudden flood takes before the
 * reader sees it and drops the backlog: a function writing 3 GiB without a newline (2.4 GB/s here) had its console
 * file at 1.7 GiB before its backlog was dropped with a back-off of 50 ticks, at 589 MiB with 20 ({@code bench/faults.sh}). What a dying instance printed last is read at once by
 * {@link Console#drain()}, not left to the next poll.
 *
 * <p>The thread sleeps until the next console is due, not a tick at a time: at a tick of 10 ms a quiet node woke it a
 * hundred times a second, and each wake-up could land on the core a call's next hop was about to run on (at c=1 the
 * reader was the JVM's busiest thread after the gateway's, 125 wake-ups a second). Quiet consoles wake it five times
 * a second, and no console not at all.
 */
public final class ConsoleReader implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ConsoleReader.class.getName());
    static final long TICK_MILLIS = 10;
    static final int MAX_PERIOD_TICKS = 20;
    /**
     * How often each console is checked for disk taken outside its output ({@link Console#reclaim}): 2 s, so a
     * sandbox writing over what was read takes at most two seconds of the disk's bandwidth; 2,500 checks a second at
     * 5,000 instances.
     */
    static final int RECLAIM_EVERY_TICKS = 200;

    private final Map<Console, Pace> consoles = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    private ConsoleReader() {
        this.thread = Thread.ofPlatform().daemon().name("isola-console-reader").unstarted(this::run);
    }

    public static ConsoleReader start() {
        ConsoleReader reader = new ConsoleReader();
        reader.thread.start();
        return reader;
    }

    /** A new console writing to {@code file} (created; must not exist), its lines going to {@code sink}. */
    public Console open(Path file, OutputSink sink) throws IOException {
        Console console = Console.create(file, sink, this);
        consoles.put(console, new Pace());
        LockSupport.unpark(thread); // read from the next tick on, whatever the reader was sleeping for
        return console;
    }

    void forget(Console console) {
        consoles.remove(console);
    }

    /** How many consoles are read now. */
    public int size() {
        return consoles.size();
    }

    private void run() {
        long tick = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
        long last = System.nanoTime();
        while (running) {
            long now = System.nanoTime();
            int elapsed = (int) Math.clamp((now - last) / tick, 1, RECLAIM_EVERY_TICKS);
            last = now;
            int[] due = {MAX_PERIOD_TICKS};
            consoles.forEach((console, pace) -> {
                try {
                    due[0] = Math.min(due[0], pace.poll(console, elapsed));
                } catch (Throwable t) { // a failing log sink must not end the reading of every other instance
                    LOG.log(Level.WARNING, "Failed to read an instance's console: " + t);
                }
            });
            if (consoles.isEmpty()) {
                LockSupport.park(); // until open() or close(), whose unpark is kept if it came first
            } else {
                LockSupport.parkNanos(due[0] * tick);
            }
        }
    }

    /** Stops reading. Consoles still open deliver their rest when their instances close them. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** When a console is due: only the reader thread touches it. */
    private static final class Pace {
        private int period = 1;
        private int wait = 1;
        private int untilReclaim = RECLAIM_EVERY_TICKS;

        /** Reads {@code console} if it is due {@code elapsed} ticks after the last call; ticks until it is next due. */
        int poll(Console console, int elapsed) {
            untilReclaim -= elapsed;
            if (untilReclaim <= 0) {
                untilReclaim = RECLAIM_EVERY_TICKS;
                console.reclaim();
            }
            wait -= elapsed;
            if (wait <= 0) {
                period = console.poll() > 0 ? 1 : Math.min(period * 2, MAX_PERIOD_TICKS);
                wait = period;
            }
            return Math.min(wait, untilReclaim);
        }
    }
}
