package dev.isola.host;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Linux's {@code epoll} and an {@code eventfd} to interrupt it, through the foreign function API, for a platform
 * thread that waits on many descriptors at once ({@link PidfdExits}). Each registration carries a caller's 64-bit
 * token, never the descriptor's number, which the kernel may hand out again once it is closed.
 */
final class Epoll {
    static final int EPOLLIN = 0x001;
    static final int EPOLLONESHOT = 1 << 30;
    private static final int EPOLL_CLOEXEC = 0x80000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;
    /** {@code struct epoll_event} is packed on x86-64 (12 bytes, data at 4), naturally aligned elsewhere. */
    private static final boolean PACKED = System.getProperty("os.arch").matches("amd64|x86_64");
    static final long EVENT_BYTES = PACKED ? 12 : 16;
    private static final long DATA_AT = PACKED ? 4 : 8;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private static final MethodHandle CREATE = LinuxCalls.call("epoll_create1", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle CTL = LinuxCalls.call("epoll_ctl",
            FunctionDescriptor.of(INT, INT, INT, INT, ValueLayout.ADDRESS));
    private static final MethodHandle WAIT = LinuxCalls.call("epoll_wait",
            FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS, INT, INT));
    private static final MethodHandle EVENTFD = LinuxCalls.call("eventfd", FunctionDescriptor.of(INT, INT, INT));

    private Epoll() {
    }

    /** A new epoll instance; throws when the kernel refuses one. */
    static int create() {
        int epoll;
        try {
            epoll = (int) CREATE.invokeExact(EPOLL_CLOEXEC);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return opened(epoll, "Failed to create an epoll instance (out of file descriptors?)");
    }

    /** Watches {@code fd} for {@code events}, reported with {@code token}; false when refused. */
    static boolean add(int epoll, int fd, int events, long token) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment event = arena.allocate(EVENT_BYTES, 4);
            event.set(INT, 0, events);
            event.set(ValueLayout.JAVA_LONG_UNALIGNED, DATA_AT, token);
            return (int) CTL.invokeExact(epoll, EPOLL_CTL_ADD, fd, event) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Blocks until a watched descriptor is ready, for as long as it takes (a platform thread's call: a virtual one
     * would pin its carrier); the number of events in {@code events}, or -1 when interrupted by a signal.
     */
    static int await(int epoll, MemorySegment events) {
        try {
            return (int) WAIT.invokeExact(epoll, events, (int) (events.byteSize() / EVENT_BYTES), -1);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The token of the {@code i}th event {@link #await} reported. */
    static long token(MemorySegment events, int i) {
        return events.get(ValueLayout.JAVA_LONG_UNALIGNED, i * EVENT_BYTES + DATA_AT);
    }

    /** A non-blocking eventfd: readable once {@link #signal}led, to wake a thread in {@link #await}. */
    static int eventFd() {
        int fd;
        try {
            fd = (int) EVENTFD.invokeExact(0, EFD_CLOEXEC | EFD_NONBLOCK);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return opened(fd, "Failed to create an eventfd (out of file descriptors?)");
    }

    private static int opened(int fd, String failure) {
        if (fd < 0) {
            throw new HostException(failure);
        }
        return fd;
    }

    static void signal(int eventFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1);
            LinuxCalls.write(eventFd, one, 8);
        }
    }
}
