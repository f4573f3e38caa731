package dev.isola.net;

/**
 * How many network attachments to keep ready: at least the configured floor, and {@value #HEADROOM} times as many as
 * the largest of the last {@value #REMEMBERED} bursts took, up to a ceiling. A burst is a run of takes less than
 * {@code quietNanos} apart.
 *
 * <p>Why adaptive: an attachment made during a burst costs the burst two {@code ip} runs and the kernel's network
 * lock, which every other start of the burst is waiting for (bench/container-burst.sh: with 100 runc starts the
 * attachments made on the spot took 0.9 s at the median, 2.6 s at p90). A pool as large as the bursts a host
 * actually sees takes that out of the burst, while a host whose bursts are small keeps only the floor (each
 * attachment costs 120-220 KiB of kernel memory and an address).
 *
 * <p>Why headroom: the next burst is often larger than the last, and the attachments it then makes on the spot are
 * made while its other sandboxes boot on the same cores: with 16 gVisor starts under way, each took 230-280 ms
 * instead of 8 ms on an idle host (bench/container-burst.sh, runsc, 20 starts from a pool of 16), and the starts
 * waiting for them finished last. Not thread-safe: its owner synchronizes.
 */
final class BurstSizing {
    static final int REMEMBERED = 8;
    static final int HEADROOM = 2;

    private final int floor;
    private final int ceiling;
    private final long quietNanos;
    /** The bursts before the current one. */
    private final int[] recent = new int[REMEMBERED - 1];
    private int next;
    private int current;
    private long lastTakeNanos;
    private boolean anyTake;

    BurstSizing(int floor, int ceiling, long quietNanos) {
        this.floor = floor;
        this.ceiling = Math.max(floor, ceiling);
        this.quietNanos = quietNanos;
    }

    /** Counts a take at {@code nowNanos} into the current burst, or starts a new burst after a pause. */
    void took(long nowNanos) {
        if (anyTake && nowNanos - lastTakeNanos >= quietNanos) {
            recent[next] = current;
            next = (next + 1) % recent.length;
            current = 0;
        }
        anyTake = true;
        lastTakeNanos = nowNanos;
        current++;
    }

    int target() {
        int largest = current;
        for (int size : recent) {
            largest = Math.max(largest, size);
        }
        return Math.max(floor, Math.min(ceiling, largest * HEADROOM));
    }
}
