package dev.isola.dispatch;

import java.util.Locale;

/** Life cycle of a pooled instance; {@code STANDBY}: a sandbox created ahead of need, not started. */
public enum InstanceState {
    STANDBY, STARTING, READY, DRAINING, STOPPED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
