package dev.isola.function;

/**
 * A validated function name: what appears in routes, file paths and database keys, so it is
 * deliberately narrow — DNS-label style, 1..63 characters — and can never contain a path separator.
 */
public record FunctionName(String value) implements Comparable<FunctionName> {
    private static final int MAX_LENGTH = 63;

    public FunctionName {
        if (!valid(value)) {
            throw new InvalidFunctionException("invalid_name", "Invalid function name '" + abbreviate(value)
                    + "': use 1-63 lowercase letters, digits and '-', starting with a letter and not ending with '-'");
        }
    }

    public static FunctionName of(String value) {
        return new FunctionName(value);
    }

    /**
     * {@code [a-z][a-z0-9-]{0,62}} not ending with '-', checked by hand: the gateway validates the name of every
     * request, and the regex showed in its profile.
     */
    private static boolean valid(String s) {
        if (s == null || s.isEmpty() || s.length() > MAX_LENGTH || s.charAt(s.length() - 1) == '-') {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '-');
            if (!ok) {
                return false;
            }
        }
        return true;
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
