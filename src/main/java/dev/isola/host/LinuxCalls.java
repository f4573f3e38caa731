package dev.isola.host;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The few Linux calls the JDK does not offer, through the foreign function API: process file descriptors (to watch
 * and signal a process the platform did not start as its child), non-blocking FIFO ends with {@code poll},
 * punching holes into files, and a routing netlink socket ({@link NeighbourTable}, which calls it on a platform
 * thread of its own). Otherwise no
 * call blocks beyond the timeout its caller gives {@code poll} (at most a millisecond), since a virtual thread pins
 * its carrier in a native call. Numbers are Linux's generic ones (the same on x86-64 and arm64).
 */
final class LinuxCalls {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final short POLLIN = 1;
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final long SYS_PIDFD_OPEN = 434;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    private static final MethodHandle SYSCALL_2 = variadic("syscall", 1, FunctionDescriptor.of(LONG, LONG, LONG, LONG));
    private static final MethodHandle SYSCALL_4 = variadic("syscall", 1,
            FunctionDescriptor.of(LONG, LONG, LONG, LONG, LONG, LONG));
    private static final MethodHandle OPEN = variadic("open", 2,
            FunctionDescriptor.of(INT, ValueLayout.ADDRESS, INT, INT));
    private static final MethodHandle POLL = call("poll", FunctionDescriptor.of(INT, ValueLayout.ADDRESS, LONG, INT));
    private static final MethodHandle READ = call("read", FunctionDescriptor.of(LONG, INT, ValueLayout.ADDRESS, LONG));
    private static final MethodHandle WRITE = call("write",
            FunctionDescriptor.of(LONG, INT, ValueLayout.ADDRESS, LONG));
    private static final MethodHandle CLOSE = call("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle FALLOCATE = call("fallocate",
            FunctionDescriptor.of(INT, INT, INT, LONG, LONG));
    private static final MethodHandle FSTAT = call("fstat", FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS));
    private static final MethodHandle SCHED_SETSCHEDULER = call("sched_setscheduler",
            FunctionDescriptor.of(INT, INT, INT, ValueLayout.ADDRESS));
    private static final MethodHandle SCHED_GETSCHEDULER = call("sched_getscheduler", FunctionDescriptor.of(INT, INT));
    static final int SCHED_OTHER = 0;
    static final int SCHED_IDLE = 5;
    private static final MethodHandle FTRUNCATE = call("ftruncate", FunctionDescriptor.of(INT, INT, LONG));
    /** {@code struct stat}: 144 bytes with {@code st_blocks} (512-byte units) at 64, on x86-64 and arm64 alike. */
    private static final long STAT_BYTES = 144;
    private static final long STAT_BLOCKS_AT = 64;
    private static final MethodHandle SOCKET = call("socket", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final MethodHandle SENDTO = call("sendto",
            FunctionDescriptor.of(LONG, INT, ValueLayout.ADDRESS, LONG, INT, ValueLayout.ADDRESS, INT));
    private static final MethodHandle RECV = call("recv",
            FunctionDescriptor.of(LONG, INT, ValueLayout.ADDRESS, LONG, INT));
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_ROUTE = 0;
    private static final int FALLOC_FL_KEEP_SIZE = 0x01;
    private static final int FALLOC_FL_PUNCH_HOLE = 0x02;

    private LinuxCalls() {
    }

    /** A descriptor for process {@code pid}, or -1 when it does not exist (or the kernel predates 5.3). */
    static int pidfdOpen(long pid) {
        try {
            return (int) (long) SYSCALL_2.invokeExact(SYS_PIDFD_OPEN, pid, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sends {@code signal}; false when the process has exited. */
    static boolean pidfdSendSignal(int pidfd, int signal) {
        try {
            return (long) SYSCALL_4.invokeExact(SYS_PIDFD_SEND_SIGNAL, (long) pidfd, (long) signal, 0L, 0L) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code open(2)}; -1 on failure. */
    static int open(Path path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) OPEN.invokeExact(arena.allocateFrom(path.toString()), flags, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The {@code revents} of each descriptor after {@code poll(2)} with {@code timeoutMillis} (0: no wait). */
    static short[] poll(int timeoutMillis, int... fds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfds = arena.allocate(8L * fds.length); // struct pollfd: int fd, short events, revents
            for (int i = 0; i < fds.length; i++) {
                pollfds.set(INT, 8L * i, fds[i]);
                pollfds.set(ValueLayout.JAVA_SHORT, 8L * i + 4, POLLIN);
            }
            int ready = (int) POLL.invokeExact(pollfds, (long) fds.length, timeoutMillis);
            short[] revents = new short[fds.length];
            for (int i = 0; ready > 0 && i < fds.length; i++) {
                revents[i] = pollfds.get(ValueLayout.JAVA_SHORT, 8L * i + 6);
            }
            return revents;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Reads up to one byte: 1 read, 0 at end of file, -1 on error (nothing there on a non-blocking end). */
    static long readByte(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            return (long) READ.invokeExact(fd, arena.allocate(1), 1L);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code read(2)} into {@code data}: bytes read, 0 at end of file, -1 on error. Blocks on a blocking end. */
    static long read(int fd, MemorySegment data, long length) {
        try {
            return (long) READ.invokeExact(fd, data, length);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code write(2)} from {@code data}: bytes written, -1 on error. Blocks on a full blocking pipe. */
    static long write(int fd, MemorySegment data, long length) {
        try {
            return (long) WRITE.invokeExact(fd, data, length);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Writes one zero byte; true when written. */
    static boolean writeByte(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            return (long) WRITE.invokeExact(fd, arena.allocate(1), 1L) == 1;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Frees the blocks of {@code [offset, offset + length)} (reads as zeros after), size kept; false on failure. */
    static boolean punchHole(int fd, long offset, long length) {
        try {
            return (int) FALLOCATE.invokeExact(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The disk space the file takes, its blocks (not its size); -1 on failure. */
    static long allocatedBytes(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stat = arena.allocate(STAT_BYTES, 8);
            if ((int) FSTAT.invokeExact(fd, stat) != 0) {
                return -1;
            }
            return stat.get(LONG, STAT_BLOCKS_AT) * 512;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets the file's size; false on failure. */
    static boolean truncate(int fd, long size) {
        try {
            return (int) FTRUNCATE.invokeExact(fd, size) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A socket to the kernel's routing netlink ({@code NETLINK_ROUTE}); -1 on failure. */
    static int netlinkRouteSocket() {
        try {
            return (int) SOCKET.invokeExact(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sends the first {@code length} bytes of {@code message} to the kernel; true when all were sent. */
    static boolean netlinkSend(int socket, byte[] message, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment kernel = arena.allocate(12); // struct sockaddr_nl: family, pad, pid 0 (the kernel), groups
            kernel.set(ValueLayout.JAVA_SHORT, 0, (short) AF_NETLINK);
            MemorySegment data = arena.allocate(length);
            MemorySegment.copy(message, 0, data, ValueLayout.JAVA_BYTE, 0, length);
            return (long) SENDTO.invokeExact(socket, data, (long) length, 0, kernel, 12) == length;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Receives one datagram into {@code buffer}; its length, or -1 on failure. */
    static int netlinkReceive(int socket, byte[] buffer) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(buffer.length);
            int n = (int) (long) RECV.invokeExact(socket, data, (long) buffer.length, 0);
            if (n > 0) {
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, buffer, 0, n);
            }
            return n;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Puts the calling thread (pid 0: the caller, a thread to Linux) under {@code policy}, {@link #SCHED_IDLE} or
     * {@link #SCHED_OTHER}; false when refused.
     */
    static boolean schedule(int policy) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = arena.allocate(INT); // struct sched_param { int sched_priority = 0; }
            return (int) SCHED_SETSCHEDULER.invokeExact(0, policy, param) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The calling thread's scheduling policy, or -1 where the call failed. */
    static int schedulingPolicy() {
        try {
            return (int) SCHED_GETSCHEDULER.invokeExact(0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A downcall to libc's {@code name}; {@link Epoll} and {@link FileChanges} make theirs here too. */
    static MethodHandle call(String name, FunctionDescriptor descriptor) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(libc().find(name).orElseThrow(), descriptor);
    }

    /** A variadic C function whose first {@code fixed} arguments are named (the rest passed as variadic). */
    private static MethodHandle variadic(String name, int fixed, FunctionDescriptor descriptor) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(libc().find(name).orElseThrow(), descriptor,
                Linker.Option.firstVariadicArg(fixed));
    }

    private static SymbolLookup libc() {
        return Linker.nativeLinker().defaultLookup();
    }
}
