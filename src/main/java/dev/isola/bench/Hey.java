package dev.isola.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code hey} HTTP load generator, as the paper's network experiments used it: {@code hey -n N -c C URL}, summary
 * parsed from its text output. A run that exceeds its deadline or is interrupted is killed (it is our own child).
 */
final class Hey {
    private static final Pattern TOTAL = Pattern.compile("Total:\\s+([0-9.]+) secs");
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern STATUS = Pattern.compile("\\[(\\d{3})]\\s+(\\d+) responses");

    /**
     * @param totalSeconds wall time of the whole run
     * @param requestsPerSecond hey's figure (all responses, failed ones included, over the wall time)
     * @param ok2xx responses with a 2xx status
     * @param errors requests that got no 2xx answer (other statuses, connection errors, timeouts)
     */
    record Outcome(double totalSeconds, double requestsPerSecond, long ok2xx, long errors) {
    }

    private Hey() {
    }

    /** Where hey is: on PATH, else /usr/bin/hey; empty when neither. */
    static Optional<String> executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "hey"))) {
                return Optional.of(Path.of(dir, "hey").toString());
            }
        }
        return Files.isExecutable(Path.of("/usr/bin/hey")) ? Optional.of("/usr/bin/hey") : Optional.empty();
    }

    /** Where hey is; fails, saying how to install it, when it is not installed. */
    static String requireInstalled() {
        return executable().orElseThrow(() -> new BenchException("Failed to run hey: it is not installed (not on "
                + "PATH, no /usr/bin/hey); apt-get install hey"));
    }

    static Outcome run(String url, int requests, int clients, Duration deadline) throws InterruptedException {
        String hey = requireInstalled();
        List<String> command = List.of(hey, "-n", Integer.toString(requests), "-c", Integer.toString(clients), url);
        Path out;
        Process p;
        try {
            // To a file, not a pipe: waiting on the process (interruptible, with a deadline) then needs no reader.
            out = Files.createTempFile("isola-hey-", ".txt");
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        } catch (IOException e) {
            throw new BenchException("Failed to run hey: " + e.getMessage(), e);
        }
        try {
            if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new BenchException("Failed to run hey: no result within " + deadline.toSeconds() + " s");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new BenchException("Failed to run hey (exit " + p.exitValue() + "): "
                        + BenchClient.preview(text));
            }
            return parse(text, requests);
        } catch (IOException e) {
            throw new BenchException("Failed to read hey's output: " + e.getMessage(), e);
        } finally {
            p.destroyForcibly(); // our own child: exited already, or interrupted/overdue and to be stopped
            try {
                Files.deleteIfExists(out);
            } catch (IOException e) {
                // A few KiB in the temp directory; not worth failing the measurement for.
            }
        }
    }

    static Outcome parse(String text, int requests) {
        double total = number(TOTAL, text);
        double rps = number(RPS, text);
        long ok = 0;
        Matcher m = STATUS.matcher(text);
        while (m.find()) {
            if (m.group(1).startsWith("2")) {
                ok += Long.parseLong(m.group(2));
            }
        }
        return new Outcome(total, rps, ok, Math.max(0, requests - ok));
    }

    private static double number(Pattern p, String text) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new BenchException("Failed to parse hey's output (" + p.pattern() + " not found): "
                    + BenchClient.preview(text));
        }
        return Double.parseDouble(m.group(1).toLowerCase(Locale.ROOT));
    }
}
