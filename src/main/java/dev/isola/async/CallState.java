package dev.isola.async;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Where an asynchronous call stands. {@code QUEUED} waits for its first attempt or its next one; {@code FAILED} is
 * the dead-letter state: its attempts ran out, or the function answered a client error that no retry changes.
 */
public enum CallState {
    QUEUED, RUNNING, SUCCEEDED, FAILED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean finished() {
        return this == SUCCEEDED || this == FAILED;
    }

    public static Optional<CallState> fromWire(String text) {
        return Arrays.stream(values()).filter(s -> s.wireName().equals(text)).findFirst();
    }
}
