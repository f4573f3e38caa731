package dev.isola.logs;

import dev.isola.IsolaException;
import dev.isola.function.FunctionName;
import dev.isola.host.PrivateFiles;
import dev.isola.sandbox.spi.OutputSink;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Console output of every instance of a function, in {@code <logDir>/<function>.log}, each line prefixed with the
 * time it was written and the instance id ({@code 2026-12-04T19:00:00.123456Z hello.7f3a listening}). Bounded: when the file passes {@code maxBytes} it becomes {@code .log.1} (replacing the older one),
 * so a function keeps at most twice that on disk however much it prints.
 */
public final class FunctionLogs implements AutoCloseable {
    /** Consoles hand over lines of at most 8 KiB and a note of what they cut; this guards any other writer. */
    private static final int MAX_LINE_CHARS = 16384;
    static final int MAX_FOLLOWERS = 16;

    private final Path dir;
    private final long maxBytes;
    private final Map<FunctionName, Log> logs = new ConcurrentHashMap<>();

    private FunctionLogs(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    public static FunctionLogs create(Path dir, long maxBytes) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IsolaException("Failed to create log directory " + dir + ": " + e.getMessage(), e);
        }
        return new FunctionLogs(dir, maxBytes);
    }

    public OutputSink sink(FunctionName function, String instanceId) {
        Log log = logs.computeIfAbsent(function, f -> new Log(dir.resolve(f.value() + ".log")));
        return line -> log.append(instanceId + " " + truncate(line));
    }

    /** The last {@code lines} lines, oldest first. */
    public List<String> tail(FunctionName function, int lines) {
        return tail(function, lines, Optional.empty());
    }

    /**
     * The last {@code lines} lines written at or after {@code since} (all of them when empty), oldest first. Lines
     * without a time (written by an Isola before lines had one) count as older than any {@code since}.
     *
     * <p>Only the opening of the two files holds the log's lock: reading megabytes under it stalled every writer of
     * the function's log for as long, an event loop noting a failed call among them. A rotation while reading is
     * harmless: the open files are read to their end, whatever their names have become.
     */
    public List<String> tail(FunctionName function, int lines, Optional<Instant> since) {
        Log log = logs.computeIfAbsent(function, f -> new Log(dir.resolve(f.value() + ".log")));
        List<BufferedReader> readers = new ArrayList<>(2);
        try {
            synchronized (log) {
                for (Path p : List.of(log.rotated(), log.file)) {
                    if (Files.exists(p)) {
                        readers.add(Files.newBufferedReader(p, StandardCharsets.UTF_8));
                    }
                }
            }
            Deque<String> last = new ArrayDeque<>(lines);
            for (BufferedReader reader : readers) {
                reader.lines().filter(l -> since.isEmpty() || writtenAtOrAfter(l, since.get())).forEach(l -> {
                    if (last.size() == lines) {
                        last.removeFirst();
                    }
                    last.addLast(l);
                });
            }
            return new ArrayList<>(last);
        } catch (IOException | UncheckedIOException e) {
            throw new IsolaException("Failed to read logs of function " + function + ": " + e.getMessage(), e);
        } finally {
            for (BufferedReader reader : readers) {
                try {
                    reader.close();
                } catch (IOException e) {
                    // read-only: nothing to lose
                }
            }
        }
    }

    public void delete(FunctionName function) {
        Log log = logs.remove(function);
        if (log != null) {
            log.close();
        }
        Path file = dir.resolve(function.value() + ".log");
        Object guard = log == null ? this : log;
        synchronized (guard) {
            try {
                Files.deleteIfExists(file);
                Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".1"));
            } catch (IOException e) {
                throw new IsolaException("Failed to delete logs of function " + function + ": " + e.getMessage(), e);
            }
        }
    }

    private static boolean writtenAtOrAfter(String line, Instant since) {
        int space = line.indexOf(' ');
        try {
            return space > 0 && !Instant.parse(line.substring(0, space)).isBefore(since);
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /**
     * One line of the log, at most {@link #MAX_LINE_CHARS}, with each carriage return (a progress bar's) a space: the
     * log file is read back and followed as lines, and both a reader and server-sent events end a line at a CR,
     * which would split one line into pieces without a time. Every other control character but a tab is written
     * as {@code \xNN}: the function's output reaches the operator's terminal ({@code isola logs -f}), where an
     * escape sequence could erase lines, forge Isola's own, or set the clipboard.
     */
    private static String truncate(String line) {
        String cut = line.length() <= MAX_LINE_CHARS ? line : line.substring(0, MAX_LINE_CHARS) + "...";
        int first = 0;
        while (first < cut.length() && !isControl(cut.charAt(first))) {
            first++;
        }
        if (first == cut.length()) {
            return cut; // the usual line: no copy
        }
        StringBuilder out = new StringBuilder(cut.length() + 16).append(cut, 0, first);
        for (int i = first; i < cut.length(); i++) {
            char c = cut.charAt(i);
            if (c == '\r') {
                out.append(' ');
            } else if (isControl(c)) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** C0 but a tab, DEL, and C1 (U+0080 to U+009F, which terminals also read as controls). */
    private static boolean isControl(char c) {
        return (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f);
    }

    /** Closes the log files kept open; a line written later opens its file again. */
    @Override
    public void close() {
        logs.values().forEach(Log::close);
    }

    /**
     * Follows {@code function}'s new lines; at most {@value #MAX_FOLLOWERS} at once per function, so readers that
     * come and go cannot pile up.
     */
    public LogFollower follow(FunctionName function) {
        Log log = logs.computeIfAbsent(function, f -> new Log(dir.resolve(f.value() + ".log")));
        return log.follow().orElseThrow(() -> new IsolaException("Function " + function + " has "
                + MAX_FOLLOWERS + " log followers already"));
    }

    /**
     * One function's log file. The file stays open while lines come (one write per line, none per open and size
     * check: the console reader appends for every instance of the node) and is closed when it rotates or goes.
     */
    private final class Log {
        final Path file;
        private final List<LogFollower> followers = new CopyOnWriteArrayList<>();
        private OutputStream out;
        private long size = -1;

        Log(Path file) {
            this.file = file;
        }

        Path rotated() {
            return file.resolveSibling(file.getFileName() + ".1");
        }

        synchronized Optional<LogFollower> follow() {
            if (followers.size() >= MAX_FOLLOWERS) {
                return Optional.empty();
            }
            LogFollower[] follower = new LogFollower[1];
            follower[0] = new LogFollower(() -> followers.remove(follower[0]));
            followers.add(follower[0]);
            return Optional.of(follower[0]);
        }

        synchronized void append(String unstamped) {
            String line = Instant.now() + " " + unstamped;
            byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
            try {
                if (size < 0) {
                    size = Files.exists(file) ? Files.size(file) : 0;
                }
                if (size > 0 && size + bytes.length > maxBytes) {
                    close();
                    Files.move(file, rotated(), StandardCopyOption.REPLACE_EXISTING);
                    size = 0;
                }
                if (out == null) {
                    out = PrivateFiles.output(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
                out.write(bytes);
                size += bytes.length;
            } catch (IOException e) {
                close(); // losing a log line must not take the function down; the next line reopens and retries
                size = -1;
            }
            followers.forEach(f -> f.offer(line));
        }

        synchronized void close() {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    // the bytes were written unbuffered; nothing is lost
                }
                out = null;
            }
        }
    }
}
