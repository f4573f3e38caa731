package dev.isola;

/** Monotonic nanosecond time, injected so tests can move it by hand. */
@FunctionalInterface
public interface Ticker {
    long nanos();

    Ticker SYSTEM = System::nanoTime;
}
