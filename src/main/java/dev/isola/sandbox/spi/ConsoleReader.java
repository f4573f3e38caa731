package dev.isola.sandbox.spi;

import dev.isola.host.FileChanges;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads the consoles of every live instance of the node on one platform thread. A thread per instance blocked on
 * its output pipe pinned a virtual-thread carrier each, so at 256 live instances nothing else ran; reading files
 * never blocks for long, and one thread serves thousands of instances.
 *
 * <p>The kernel says which console was written to ({@link FileChanges}, inotify): the thread sleeps until one is,
 * reads it, and reads no console more than once a tick of {@value #TICK_MILLIS} ms, so a flood of output costs at
 * most a hundred reads a second and a quiet node nothing. Asking every console instead (every 0.2 s while quiet)
 * cost 25,000 {@code fstat}s a second at 5,000 instances, in bursts on a core that requests wanted, and woke the
 * thread five times a second on a node with one quiet instance. A sandbox can change its console without a write
 * the kernel reports (through a mapping of the file), so each console is also read and checked every
 * {@value #SWEEP_EVERY_TICKS} ticks. A console the kernel refuses to watch ({@code fs.inotify.max_user_watches}) is
 * polled as before: every tick while it writes, backing off to every {@value #MAX_PERIOD_TICKS} ticks while quiet.
 *
 * <p>The pace bounds the disk a sudden flood takes before the reader sees it and drops the backlog: a function
 * writing 3 GiB without a newline (2.4 GB/s here) had its console file at 1.7 GiB before its backlog was dropped
 * with a back-off of 50 ticks, at 589 MiB with 20 ({@code bench/faults.sh}). Disk a sandbox takes outside its output
 * ({@link Console#reclaim}) is looked for within {@value #RECLAIM_EVERY_TICKS} ticks of a write, at most that often
 * per console, and at each sweep. What a dying instance printed last is read at once by {@link Console#drain()},
 * not left to the next read.
 */
public final class ConsoleReader implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ConsoleReader.class.getName());
    static final long TICK_MILLIS = 10;
    static final int MAX_PERIOD_TICKS = 20;
    static final int RECLAIM_EVERY_TICKS = 200;
    static final int SWEEP_EVERY_TICKS = 3_000;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);

    private final Map<Console, Pace> consoles = new ConcurrentHashMap<>();
    private final Map<Integer, Pace> byWatch = new ConcurrentHashMap<>();
    private final Queue<Pace> opened = new ConcurrentLinkedQueue<>();
    private final FileChanges changes = FileChanges.open();
    private final boolean watchFiles;
    private final Thread thread;
    private volatile boolean running = true;
    private boolean refusalLogged;
    /** When each console is next read: the reader thread's alone. An entry whose time is not its pace's is stale. */
    private final PriorityQueue<Due> schedule = new PriorityQueue<>();

    private ConsoleReader(boolean watchFiles) {
        this.watchFiles = watchFiles;
        this.thread = Thread.ofPlatform().daemon().name("isola-console-reader").unstarted(this::run);
    }

    public static ConsoleReader start() {
        return start(true);
    }

    /** {@code watchFiles} false: polls every console, as where the kernel refuses watches (for tests). */
    static ConsoleReader start(boolean watchFiles) {
        ConsoleReader reader = new ConsoleReader(watchFiles);
        reader.thread.start();
        return reader;
    }

    /** A new console writing to {@code file} (created; must not exist), its lines going to {@code sink}. */
    public Console open(Path file, OutputSink sink) throws IOException {
        Console console = Console.create(file, sink, this);
        int watch = watchFiles && running ? changes.watch(file) : -1;
        Pace pace = new Pace(console, watch);
        consoles.put(console, pace);
        if (watch >= 0) {
            byWatch.put(watch, pace);
        } else if (watchFiles && running) {
            logRefusal();
        }
        opened.add(pace);
        changes.wake();
        return console;
    }

    void forget(Console console) {
        Pace pace = consoles.remove(console);
        if (pace != null && pace.watch >= 0) {
            byWatch.remove(pace.watch);
            changes.unwatch(pace.watch);
        }
    }

    /** How many consoles are read now. */
    public int size() {
        return consoles.size();
    }

    private void run() {
        while (running) {
            for (Pace pace; (pace = opened.poll()) != null; ) {
                pace.nextAt = System.nanoTime(); // read once now: what it wrote before its watch began
                schedule.add(new Due(pace.nextAt, pace));
            }
            int[] written = changes.await(millisUntilDue());
            long now = System.nanoTime();
            for (int watch : written) {
                if (watch == FileChanges.OVERFLOW) {
                    consoles.values().forEach(pace -> read(pace, now, true));
                } else {
                    Pace pace = byWatch.get(watch);
                    if (pace != null && pace.readAt != now) {
                        read(pace, now, true);
                    }
                }
            }
            for (Due due; (due = schedule.peek()) != null && due.at - now <= 0; ) {
                schedule.poll();
                if (due.at == due.pace.nextAt && consoles.containsKey(due.pace.console)) {
                    read(due.pace, now, false);
                }
            }
            if (written.length > 0) {
                LockSupport.parkNanos(TICK_NANOS); // a console written without pause is read once a tick
            }
        }
    }

    private int millisUntilDue() {
        Due first = schedule.peek();
        if (first == null) {
            return -1;
        }
        long nanos = first.at - System.nanoTime();
        return nanos <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(nanos) + 1);
    }

    /**
     * Reads {@code pace}'s console (and checks its disk, when due), then schedules its next read: a tick on when more
     * is there or no event would tell, when its disk check is due after a write, else at the next sweep.
     */
    private void read(Pace pace, long now, boolean written) {
        pace.readAt = now;
        try {
            if (now - pace.reclaimedAt >= RECLAIM_EVERY_TICKS * TICK_NANOS) {
                pace.reclaimedAt = now;
                pace.unchecked = false;
                pace.console.reclaim();
            } else if (written) {
                pace.unchecked = true;
            }
            long read = pace.console.poll();
            pace.period = read > 0 ? 1 : Math.min(pace.period * 2, MAX_PERIOD_TICKS);
            long next = read >= Console.MAX_BYTES_PER_POLL || pace.watch < 0 ? now + pace.period * TICK_NANOS
                    : pace.unchecked ? pace.reclaimedAt + RECLAIM_EVERY_TICKS * TICK_NANOS
                    : now + SWEEP_EVERY_TICKS * TICK_NANOS;
            if (pace.nextAt - now <= 0 || next - pace.nextAt < 0) {
                pace.nextAt = next; // an entry for a later time stays in the schedule, stale
                schedule.add(new Due(next, pace));
            }
        } catch (Throwable t) { // a failing log sink must not end the reading of every other instance
            LOG.log(Level.WARNING, "Failed to read an instance's console: " + t);
        }
    }

    private void logRefusal() {
        if (!refusalLogged) {
            refusalLogged = true;
            LOG.log(Level.WARNING, "The kernel refused to watch an instance's console (fs.inotify.max_user_watches "
                    + "reached?): such consoles are polled, which costs CPU at thousands of instances");
        }
    }

    /** Stops reading. Consoles still open deliver their rest when their instances close them. */
    @Override
    public void close() {
        running = false;
        changes.wake();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        changes.close();
    }

    /** When and how a console is read: only the reader thread touches it, but for its watch. */
    private static final class Pace {
        private final Console console;
        private final int watch;
        private long readAt;
        private long reclaimedAt = System.nanoTime();
        /** Written since its disk was last checked. */
        private boolean unchecked;
        private long nextAt;
        private int period = 1;

        Pace(Console console, int watch) {
            this.console = console;
            this.watch = watch;
        }
    }

    private record Due(long at, Pace pace) implements Comparable<Due> {
        @Override
        public int compareTo(Due other) {
            return Long.compare(at - other.at, 0);
        }
    }
}
