package dev.isola.sandbox.spi;

import java.util.Locale;

/** How an instance came to run: what its start paid for, and so what its cold start time measures. */
public enum StartKind {
    /** The whole sandbox made for this instance: a container created and started, a VM booted, a process spawned. */
    COLD,
    /** A sandbox created ahead of need ({@code scaling.standby}) and only started for this instance. */
    STANDBY,
    /** A microVM resumed from its version's saved template instead of booting. */
    CLONE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
