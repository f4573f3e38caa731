package dev.isola.dispatch;

import java.util.Locale;

/** Life cycle of a pooled instance. */
public enum InstanceState {
    STARTING, READY, DRAINING, STOPPED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
