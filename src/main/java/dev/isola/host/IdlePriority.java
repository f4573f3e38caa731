package dev.isola.host;

/**
 * Background work that must never delay a request: a thread under Linux's {@code SCHED_IDLE} runs on a CPU only
 * while nothing else wants it, and a waking request-path thread takes the CPU from it at once. Time slices between
 * normal threads are not like that: a thread that slept gets the CPU for its whole burst, however short the wait of
 * the thread it delays. Where a CPU is never idle such a thread still gets a small share, so it falls behind rather
 * than stops.
 */
public final class IdlePriority {
    private IdlePriority() {
    }

    /**
     * Moves the calling platform thread to {@code SCHED_IDLE}; false where the kernel refuses (a seccomp filter, a
     * system that is not Linux). A virtual thread cannot: the policy would stay with whatever carrier ran it.
     */
    public static boolean applyToCurrentThread() {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("a virtual thread has no scheduling policy of its own");
        }
        return LinuxCalls.schedIdle();
    }
}
