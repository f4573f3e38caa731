package dev.isola.function;

import java.util.regex.Pattern;

/**
 * A validated function name: what appears in routes, file paths and database keys, so it is
 * deliberately narrow — DNS-label style, 1..63 characters — and can never contain a path separator.
 */
public record FunctionName(String value) implements Comparable<FunctionName> {
    private static final Pattern VALID = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    public FunctionName {
        if (value == null || !VALID.matcher(value).matches() || value.endsWith("-")) {
            throw new InvalidFunctionException("invalid_name", "Invalid function name '" + abbreviate(value)
                    + "': use 1-63 lowercase letters, digits and '-', starting with a letter and not ending with '-'");
        }
    }

    public static FunctionName of(String value) {
        return new FunctionName(value);
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 70 ? printable.substring(0, 70) + "..." : printable;
    }

    @Override
    public int compareTo(FunctionName other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
