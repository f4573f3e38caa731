package dev.isola.bench.report;

import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Text for the HTML report: escaping (every piece of run data, error message and metadata value goes through
 * {@link #text}) and number formatting that keeps three significant digits for small values (0.048 million
 * instructions) without printing noise digits for large ones (44793 req/s).
 */
final class Html {
    private Html() {
    }

    /** Escapes for element content and double- or single-quoted attribute values. */
    static String text(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    static String number(double v) {
        if (!Double.isFinite(v)) {
            return "-";
        }
        double magnitude = Math.abs(v);
        if (magnitude >= 100 || v == 0) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (magnitude >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (magnitude >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    static String number(OptionalDouble v) {
        return v.isPresent() ? number(v.getAsDouble()) : "-";
    }

    /** A table cell whose text is escaped. */
    static String td(String s) {
        return "<td>" + text(s) + "</td>";
    }

    /** A right-aligned numeric table cell. */
    static String num(String s) {
        return "<td class=\"n\">" + text(s) + "</td>";
    }
}
