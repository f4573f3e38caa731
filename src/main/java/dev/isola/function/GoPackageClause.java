package dev.isola.function;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The package clause of one Go source file, read the way the compiler does: after comments and blank space, the
 * first tokens are {@code package <name>}. A file a {@code //go:build ignore} line keeps out of every build has
 * none. Not a parser: a file that does not start that way simply has no clause here, and the compiler speaks for it.
 */
final class GoPackageClause {
    private static final Pattern CLAUSE = Pattern.compile("package\\s+([\\p{L}_][\\p{L}\\p{N}_]*)");
    private static final Pattern IGNORE = Pattern.compile("//\\s*go:build\\s+ignore\\s*");

    private GoPackageClause() {
    }

    static Optional<String> of(String source) {
        int i = source.startsWith("\uFEFF") ? 1 : 0;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (source.startsWith("//", i)) {
                int end = source.indexOf('\n', i);
                end = end < 0 ? source.length() : end;
                if (IGNORE.matcher(source.substring(i, end).strip()).matches()) {
                    return Optional.empty();
                }
                i = end;
            } else if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                if (end < 0) {
                    return Optional.empty();
                }
                i = end + 2;
            } else {
                Matcher m = CLAUSE.matcher(source).region(i, source.length());
                return m.lookingAt() ? Optional.of(m.group(1)) : Optional.empty();
            }
        }
        return Optional.empty();
    }
}
