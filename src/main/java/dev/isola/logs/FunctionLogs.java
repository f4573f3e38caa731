package dev.isola.logs;

import java.io.UncheckedIOException;
import java.nio.file.StandardCopyOption;
import dev.isola.IsolaException;
import dev.isola.function.FunctionName;
import dev.isola.sandbox.spi.OutputSink;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Console output of every instance of a function, in {@code <logDir>/<function>.log}, each line prefixed with the
 * instance id. Bounded: when the file passes {@code maxBytes} it becomes {@code .log.1} (replacing the older one),
 * so a function keeps at most twice that on disk however much it prints.
 */
public final class FunctionLogs {
    /** Consoles hand over lines of at most 8 KiB and a note of what they cut; this guards any other writer. */
    private static final int MAX_LINE_CHARS = 16384;

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
        Log log = logs.computeIfAbsent(function, f -> new Log(dir.resolve(f.value() + ".log")));
        synchronized (log) {
            Deque<String> last = new ArrayDeque<>(lines);
            for (Path p : List.of(log.rotated(), log.file)) {
                if (!Files.exists(p)) {
                    continue;
                }
                try (var stream = Files.lines(p, StandardCharsets.UTF_8)) {
                    stream.forEach(l -> {
                        if (last.size() == lines) {
                            last.removeFirst();
                        }
                        last.addLast(l);
                    });
                } catch (IOException | UncheckedIOException e) {
                    throw new IsolaException("Failed to read logs of function " + function + ": " + e.getMessage(), e);
                }
            }
            return new ArrayList<>(last);
        }
    }

    public void delete(FunctionName function) {
        Log log = logs.remove(function);
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

    private static String truncate(String line) {
        return line.length() <= MAX_LINE_CHARS ? line : line.substring(0, MAX_LINE_CHARS) + "...";
    }

    private final class Log {
        final Path file;

        Log(Path file) {
            this.file = file;
        }

        Path rotated() {
            return file.resolveSibling(file.getFileName() + ".1");
        }

        synchronized void append(String line) {
            byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
            try {
                if (Files.exists(file) && Files.size(file) + bytes.length > maxBytes) {
                    Files.move(file, rotated(), StandardCopyOption.REPLACE_EXISTING);
                }
                try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                    out.write(bytes);
                }
            } catch (IOException e) {
                // Losing a log line must not take the function down; the next line retries.
            }
        }
    }
}
