package dev.isola.dispatch;

import dev.isola.sandbox.spi.StartKind;

import dev.isola.sandbox.spi.Instance;

import java.time.Instant;

/** One instance's bookkeeping. Fields are guarded by the pool lock, except the immutable ones. */
final class Slot {
    final String id;
    final Instant startedAt;
    InstanceState state = InstanceState.STARTING;
    Instance instance;
    int inFlight;
    boolean broken;
    long served;
    long lastUsedNanos;
    long coldStartNanos;
    /** How its instance started, once it has. */
    StartKind startKind = StartKind.COLD;
    /** The thread running this slot's start, while it runs. */
    Thread starter;
    /** Whether {@link InstancePool} drain interrupted the start. */
    boolean aborted;
    /** The standby sandbox this slot's start takes, if one was ready when the slot was reserved. */
    Launcher.Prepared prepared;
    /** Whether it is in its pool's list of slots with room at its load, and its neighbours there ({@link PoolSlots}). */
    boolean hasRoom;
    Slot prevWithRoom;
    Slot nextWithRoom;

    Slot(String id, Instant startedAt) {
        this.id = id;
        this.startedAt = startedAt;
    }
}
