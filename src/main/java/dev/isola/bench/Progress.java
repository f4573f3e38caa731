package dev.isola.bench;

import java.io.Console;
import java.io.PrintWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.Locale;

/**
 * Progress of a long run: experiment, backend, runtime, repetition i/N, elapsed time and an estimate of what is left
 * of the current task (elapsed / done × remaining; good enough once a few repetitions are in). On a terminal it is one
 * line rewritten in place with {@code \r}; otherwise (a pipe, a CI log) a plain line per step, at most one every
 * {@link #PLAIN_INTERVAL_NANOS} so that logs stay short. Not thread-safe: the runner's thread reports.
 */
public final class Progress {
    private static final long PLAIN_INTERVAL_NANOS = Duration.ofSeconds(5).toNanos();

    private final PrintWriter out;
    private final boolean terminal;
    private final long runStart = System.nanoTime();
    private String task = "";
    private long taskStart;
    private int total;
    private int done;
    private long lastPlain;
    private int lastWidth;

    public Progress(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** A progress printer for {@code out}, updating in place when stdout is a terminal. */
    public static Progress console(PrintWriter out) {
        Console c = System.console();
        return new Progress(out, c != null && c.isTerminal());
    }

    /** Output nowhere (tests). */
    public static Progress silent() {
        return new Progress(new PrintWriter(Writer.nullWriter()), false);
    }

    void begin(String experiment, String backend, String runtime, int steps) {
        task = experiment + " " + backend + "/" + runtime;
        taskStart = System.nanoTime();
        total = Math.max(1, steps);
        done = 0;
        lastPlain = 0;
        show(true);
    }

    void step() {
        done = Math.min(total, done + 1);
        show(done == total);
    }

    /** A line of its own (a warning, the end of a task), not overwritten by the next update. */
    public void note(String line) {
        if (terminal && lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            lastWidth = 0;
        }
        out.println(line);
        out.flush();
    }

    void end() {
        if (terminal && lastWidth > 0) {
            out.println();
            lastWidth = 0;
        }
    }

    private void show(boolean force) {
        long now = System.nanoTime();
        String line = String.format(Locale.ROOT, "%s  rep %d/%d  elapsed %s  left ~%s  (total %s)", task, done, total,
                clock(now - taskStart), done == 0 ? "?" : clock((now - taskStart) / done * (total - done)),
                clock(now - runStart));
        if (terminal) {
            String padded = line.length() < lastWidth ? line + " ".repeat(lastWidth - line.length()) : line;
            out.print("\r" + padded);
            lastWidth = line.length();
            out.flush();
        } else if (force || now - lastPlain >= PLAIN_INTERVAL_NANOS) {
            out.println(line);
            out.flush();
            lastPlain = now;
        }
    }

    static String clock(long nanos) {
        long s = nanos / 1_000_000_000L;
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
