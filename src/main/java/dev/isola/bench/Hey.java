package dev.isola.bench;

import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.ProcessRunner;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The {@code hey} HTTP load generator, as the paper's network experiments used it: {@code hey -n N -c C URL}, summary
 * parsed from its text output, run by the bench run's {@link ProcessRunner}: a run that exceeds its deadline or is
 * interrupted is killed with its children.
 */
final class Hey {
    private static final Pattern TOTAL = Pattern.compile("Total:\\s+([0-9.]+) secs");
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern STATUS = Pattern.compile("\\[(\\d{3})]\\s+(\\d+) responses");
    /** A line of hey's error distribution: {@code [count]<tab>message}, one per distinct message. */
    private static final Pattern ERROR = Pattern.compile("^\\s*\\[(\\d+)]\\s+(.+)$", Pattern.MULTILINE);
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
     * @param errorKinds how many of the errors were of each kind, most first ({@link #kind}), e.g.
     *                   {@code "timeout 1850, status 502 3"}; empty when there were none
     */
    record Outcome(double totalSeconds, double requestsPerSecond, long ok2xx, long errors, String errorKinds) {
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
        Map<String, Long> kinds = new HashMap<>();
        Matcher m = STATUS.matcher(text);
        while (m.find()) {
            long n = Long.parseLong(m.group(2));
            if (m.group(1).startsWith("2")) {
                ok += n;
            } else {
                kinds.merge("status " + m.group(1), n, Long::sum);
            }
        }
        int distribution = text.indexOf("Error distribution:");
        if (distribution >= 0) {
            Matcher e = ERROR.matcher(text).region(distribution, text.length());
            while (e.find()) {
                kinds.merge(kind(e.group(2)), Long.parseLong(e.group(1)), Long::sum);
            }
        }
        long errors = Math.max(0, requests - ok);
        long unread = errors - kinds.values().stream().mapToLong(Long::longValue).sum();
        if (unread > 0) {
            kinds.merge("unknown", unread, Long::sum); // the distribution was cut at the output limit
        }
        String summary = kinds.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .map(k -> k.getKey() + " " + k.getValue()).collect(Collectors.joining(", "));
        return new Outcome(total, rps, ok, errors, summary);
    }

    /**
     * One of hey's error messages (Go's net/http client errors) as a kind: what the report of lost calls needs to
     * tell a platform that refused or reset them from a client or network that gave up.
     */
    static String kind(String message) {
        String m = message.toLowerCase(Locale.ROOT);
        if (m.contains("timeout") || m.contains("timed out")) {
            return "timeout";
        } else if (m.contains("connection refused")) {
            return "refused";
        } else if (m.contains("connection reset")) {
            return "reset";
        } else if (m.contains("cannot assign requested address")) {
            return "no local port";
        } else if (m.contains("too many open files")) {
            return "no file descriptor";
        } else if (m.contains("eof") || m.contains("server closed")) {
            return "closed";
        }
        return "other";
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
