package dev.isola.function;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory quantities and durations as {@code function.yaml} writes them, in both directions. Parsing is strict (no
 * fractions, no compound durations) so that every accepted value has exactly one meaning; formatting picks the
 * largest exact unit, so {@code format(parse(s))} reads back to the same value.
 */
final class ManifestUnits {
    // 19 digits still overflow a long for some values; multiplyExact catches those.
    private static final Pattern MEMORY = Pattern.compile("([0-9]{1,19})(Ki|Mi|Gi|k|M|G)?");
    // 12 digits of hours stay far below Duration's range, so construction cannot overflow.
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,12})(ms|s|m|h)?");

    private ManifestUnits() {
    }

    static long parseMemory(String field, String text) {
        Matcher m = MEMORY.matcher(text.strip());
        if (!m.matches()) {
            throw invalid(field, "'" + text + "' is not a memory quantity (e.g. 512Mi, 1Gi or a number of bytes)");
        }
        long factor = switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki" -> 1L << 10;
            case "Mi" -> 1L << 20;
            case "Gi" -> 1L << 30;
            case "k" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            default -> 1L;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), factor);
        } catch (NumberFormatException | ArithmeticException e) {
            throw invalid(field, "'" + text + "' is too large");
        }
    }

    static Duration parseDuration(String field, String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw invalid(field, "'" + text + "' is not a duration (e.g. 250ms, 30s, 5m, 1h or a number of seconds)");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofSeconds(amount);
        };
    }

    static String formatMemory(long bytes) {
        if (bytes != 0 && bytes % (1L << 30) == 0) {
            return bytes / (1L << 30) + "Gi";
        }
        if (bytes != 0 && bytes % (1L << 20) == 0) {
            return bytes / (1L << 20) + "Mi";
        }
        if (bytes != 0 && bytes % (1L << 10) == 0) {
            return bytes / (1L << 10) + "Ki";
        }
        return Long.toString(bytes);
    }

    /** Sub-millisecond parts cannot come from a manifest; if a caller built one, it is rounded down to ms. */
    static String formatDuration(Duration duration) {
        long millis = duration.toMillis();
        if (millis != 0 && millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis != 0 && millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1_000 == 0) {
            return millis / 1_000 + "s";
        }
        return millis + "ms";
    }

    private static InvalidFunctionException invalid(String field, String problem) {
        return new InvalidFunctionException("invalid_manifest", field + ": " + problem);
    }
}
