package dev.isola.bench;

import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.ProcessRunner;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code hey} HTTP load generator, as the paper's network experiments used it: {@code hey -n N -c C URL}, summary
 * parsed from its text output, run by the bench run's {@link ProcessRunner}: a run that exceeds its deadline or is
 * interrupted is killed with its children.
 */
final class Hey {
    private static final Pattern TOTAL = Pattern.compile("Total:\\s+([0-9.]+) secs");
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern STATUS = Pattern.compile("\\[(\\d{3})]\\s+(\\d+) responses");
    private static final String FALLBACK = "/usr/bin/hey";
    /**
     * What of hey's output is kept. The summary, histograms and status counts come first and take a few KiB; only
     * its error distribution (one line per distinct error) can grow large, and the count of failures is taken from
     * the status counts, so a cut there loses nothing.
     */
    private static final int OUTPUT_LIMIT = 1024 * 1024;

    /**
     * @param totalSeconds wall time of the whole run
     * @param requestsPerSecond hey's figure (all responses, failed ones included, over the wall time)
     * @param ok2xx responses with a 2xx status
     * @param errors requests that got no 2xx answer (other statuses, connection errors, timeouts)
     */
    record Outcome(double totalSeconds, double requestsPerSecond, long ok2xx, long errors) {
    }

    private final ProcessRunner runner;

    Hey(ProcessRunner runner) {
        this.runner = runner;
    }

    /** Where hey is: on the platform's PATH, else /usr/bin/hey; empty when neither. */
    Optional<Path> executable() {
        return runner.executables().find("hey").or(() -> runner.executables().find(FALLBACK));
    }

    /** Where hey is; fails, saying how to install it, when it is not installed. */
    Path requireInstalled() {
        return executable().orElseThrow(() -> new BenchException("Failed to run hey: it is not installed (not on "
                + "PATH, no " + FALLBACK + "); apt-get install hey"));
    }

    Outcome run(String url, int requests, int clients, Duration deadline) throws InterruptedException {
        Command command = Command.of(requireInstalled().toString(), "-n", Integer.toString(requests), "-c",
                Integer.toString(clients), url).withTimeout(deadline).withOutputLimit(OUTPUT_LIMIT);
        CommandResult result = Tools.result(runner, command);
        if (result.timedOut()) {
            throw new BenchException("Failed to run hey: no result within " + deadline.toSeconds() + " s");
        }
        if (result.exitCode() != 0) {
            throw new BenchException("Failed to run hey (exit " + result.exitCode() + "): "
                    + BenchClient.preview(result.output()));
        }
        return parse(result.output(), requests);
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
