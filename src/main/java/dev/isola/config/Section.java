package dev.isola.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One named part of the configuration that a component owns and reads itself, such as {@code sandbox.runsc}: plain
 * string values from the file and the environment, read through typed getters that fail with the key's full name.
 * The owner calls {@link #allowOnly} at start-up, so a misspelt key fails there instead of being ignored.
 */
public record Section(String name, Map<String, String> values) {
    public Section {
        values = Map.copyOf(values);
    }

    public static Section empty(String name) {
        return new Section(name, Map.of());
    }

    public Optional<String> string(String key) {
        return Optional.ofNullable(values.get(key)).map(String::trim).filter(v -> !v.isEmpty());
    }

    /** The value, which must be one of {@code allowed}; {@code fallback} when absent. */
    public String oneOf(String key, Set<String> allowed, String fallback) {
        String value = string(key).orElse(fallback);
        if (!allowed.contains(value)) {
            throw invalid(key, value, "must be one of " + new TreeSet<>(allowed));
        }
        return value;
    }

    /** The value as a whole number in {@code [min, max]}; {@code fallback} when absent. */
    public int integer(String key, int min, int max, int fallback) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(raw.get());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below, with the key.
        }
        throw invalid(key, raw.get(), "must be a whole number from " + min + " to " + max);
    }

    /** Fails on the first key the owner does not know. */
    public void allowOnly(Set<String> known) {
        for (String key : new TreeSet<>(values.keySet())) {
            if (!known.contains(key)) {
                throw new ConfigException("Invalid configuration: unknown key '" + name + "." + key + "' (known: "
                        + new TreeSet<>(known) + ")");
            }
        }
    }

    private ConfigException invalid(String key, String value, String what) {
        return new ConfigException("Invalid configuration: '" + name + "." + key + "' " + what + ", got '" + value
                + "'");
    }
}
