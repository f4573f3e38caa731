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
        return LinuxCalls.schedule(LinuxCalls.SCHED_IDLE);
    }

    /**
     * Runs {@code work} at normal priority if the calling thread is under {@code SCHED_IDLE}, and puts it back
     * afterwards. For while such a thread holds what request threads wait for (a lock): left idle on a busy host, it
     * would run only when the CPUs have nothing else to do, and its waiters with it (priority inversion). Root may
     * always raise a thread; an unprivileged one may be refused ({@code RLIMIT_NICE}) and then works idle. Any other
     * thread just runs {@code work}, at the cost of one system call.
     */
    public static <T, E extends Exception> T raisedWhile(Work<T, E> work) throws E {
        boolean raised = !Thread.currentThread().isVirtual() && isIdle() && LinuxCalls.schedule(LinuxCalls.SCHED_OTHER);
        try {
            return work.run();
        } finally {
            if (raised) {
                LinuxCalls.schedule(LinuxCalls.SCHED_IDLE);
            }
        }
    }

    /** What {@link #raisedWhile} runs. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }

    private static boolean isIdle() {
        int resetOnFork = 0x40000000; // a flag the kernel may report beside the policy
        return (LinuxCalls.schedulingPolicy() & ~resetOnFork) == LinuxCalls.SCHED_IDLE;
    }
}
