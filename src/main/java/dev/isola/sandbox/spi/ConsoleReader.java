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
        while (running) {
            consoles.forEach((console, pace) -> {
                try {
                    pace.poll(console);
                } catch (Throwable t) { // a failing log sink must not end the reading of every other instance
                    LOG.log(Level.WARNING, "Failed to read an instance's console: " + t);
                }
            });
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS));
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

        void poll(Console console) {
            if (--untilReclaim == 0) {
                untilReclaim = RECLAIM_EVERY_TICKS;
                console.reclaim();
            }
            if (--wait > 0) {
                return;
            }
            period = console.poll() > 0 ? 1 : Math.min(period * 2, MAX_PERIOD_TICKS);
            wait = period;
        }
    }
}
