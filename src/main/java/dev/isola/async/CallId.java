package dev.isola.async;

import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/** The id of an asynchronous call, as {@code X-Call-Id} carries it: a random UUID, lower-case. */
public record CallId(String value) {
    public CallId {
        if (!isCanonical(value)) {
            throw new IllegalArgumentException("not a call id: " + value);
        }
    }

    public static CallId random() {
        return new CallId(UUID.randomUUID().toString());
    }

    /** A call id from a URL or a header, if it is one. */
    public static Optional<CallId> parse(String text) {
        return isCanonical(text) ? Optional.of(new CallId(text)) : Optional.empty();
    }

    private static boolean isCanonical(String text) {
        if (text == null || text.length() != 36) {
            return false;
        }
        try {
            return UUID.fromString(text).toString().equals(text.toLowerCase(Locale.ROOT)) && text.equals(
                    text.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
