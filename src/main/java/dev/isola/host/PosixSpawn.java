package dev.isola.host;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code posix_spawnp(3)} through the foreign function API, with {@code posix_spawn_file_actions_addclosefrom_np}
 * (glibc 2.34+), for {@link SpawnedProcess}.
 *
 * <p>Why not {@link ProcessBuilder}: the JDK starts its spawn helper, which lists {@code /proc/self/fd} and closes
 * every descriptor it inherited, one system call each, before it runs the program. Isola holds a few descriptors
 * per live instance (sockets, pidfds), so with thousands of instances every {@code ip}, {@code nft} or
 * {@code runc} run cost milliseconds of CPU before it began; at 1,000 live containers the helper took a fifth of the
 * host's CPU during a burst. Here the child closes them all with one {@code close_range} and execs the program
 * directly. The descriptors Isola makes for a child are close-on-exec, so no other child inherits them.
 *
 * <p>Each child leads a session of its own ({@code POSIX_SPAWN_SETSID}). In the server's process group, a Ctrl-C
 * in the terminal of {@code isola serve} reached every function of the process backend and every {@code runc} run
 * at once, under the calls the server was still draining. And the kernel's autogroup scheduling (one group per
 * session) counted a function's threads into the server's own share of the CPU, so a busy function slowed the
 * gateway more than the same function run by any other parent.
 *
 * <p>Every call here returns at once except {@code posix_spawnp}, which waits until the child has exec'd (a
 * millisecond or so) and {@link #waitpid}, which its caller runs on a platform thread.
 */
final class PosixSpawn {
    private static final int O_CREAT = 0x40;
    private static final int O_APPEND = 0x400;
    private static final int EINTR = 4;
    /** glibc's {@code posix_spawn_file_actions_t} is 80 bytes and {@code posix_spawnattr_t} 336 on 64-bit Linux. */
    private static final long ACTIONS_BYTES = 256;
    private static final long ATTR_BYTES = 512;
    private static final long SIGSET_BYTES = 128;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    /** Signals 1 to 31 in a {@code sigset_t}'s first word: their dispositions go back to the default in the child. */
    private static final long STANDARD_SIGNALS = 0x7fffffffL;
    /** {@code waitid}'s arguments: wait for one pid, for its exit, and leave it unreaped. */
    private static final int P_PID = 1;
    private static final int WEXITED = 4;
    private static final int WNOWAIT = 0x01000000;
    private static final long SIGINFO_BYTES = 128;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final AddressLayout ADDRESS = ValueLayout.ADDRESS;

    private static final VarHandle ERRNO = Linker.Option.captureStateLayout()
            .varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Functions FUNCTIONS = Functions.load().orElse(null);

    private PosixSpawn() {
    }

    /** Whether this host's C library has everything used here (glibc 2.34 and later). */
    static boolean available() {
        return FUNCTIONS != null;
    }

    /**
     * Starts {@code argv[0]} (looked up on the server's {@code PATH}) in {@code directory} with {@code environment}
     * (the server's own when empty), its stdin from {@code stdin} (or {@code /dev/null} when -1), and its stdout and
     * stderr to {@code output}, or appended to {@code appendTo} when {@code output} is -1. Returns the child's pid.
     *
     * @throws HostException with the C library's error when the program could not be started
     */
    static long spawn(List<String> argv, Optional<Path> directory, Optional<Map<String, String>> environment,
                      int stdin, int output, Path appendTo) {
        Functions f = FUNCTIONS;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(ACTIONS_BYTES, 16);
            MemorySegment attr = arena.allocate(ATTR_BYTES, 16);
            check((int) f.actionsInit.invokeExact(actions), "posix_spawn_file_actions_init");
            check((int) f.attrInit.invokeExact(attr), "posix_spawnattr_init");
            try {
                if (stdin >= 0) {
                    check((int) f.addDup2.invokeExact(actions, stdin, 0), "adddup2");
                } else {
                    check((int) f.addOpen.invokeExact(actions, 0, arena.allocateFrom("/dev/null"),
                            LinuxCalls.O_RDONLY, 0), "addopen");
                }
                if (output >= 0) {
                    check((int) f.addDup2.invokeExact(actions, output, 1), "adddup2");
                } else {
                    check((int) f.addOpen.invokeExact(actions, 1, arena.allocateFrom(appendTo.toString()),
                            LinuxCalls.O_WRONLY | O_CREAT | O_APPEND, 0644), "addopen");
                }
                check((int) f.addDup2.invokeExact(actions, 1, 2), "adddup2");
                if (directory.isPresent()) {
                    check((int) f.addChdir.invokeExact(actions, arena.allocateFrom(directory.get().toString())),
                            "addchdir_np");
                }
                check((int) f.addCloseFrom.invokeExact(actions, 3), "addclosefrom_np");
                MemorySegment noSignals = arena.allocate(SIGSET_BYTES, 8);
                MemorySegment standardSignals = arena.allocate(SIGSET_BYTES, 8);
                standardSignals.set(ValueLayout.JAVA_LONG, 0, STANDARD_SIGNALS);
                check((int) f.setSigMask.invokeExact(attr, noSignals), "setsigmask");
                check((int) f.setSigDefault.invokeExact(attr, standardSignals), "setsigdefault");
                check((int) f.setFlags.invokeExact(attr,
                        (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID)), "setflags");
                MemorySegment pid = arena.allocate(INT);
                int error = (int) f.spawnp.invokeExact(pid, arena.allocateFrom(argv.getFirst()), actions, attr,
                        strings(arena, argv), environment.map(env -> strings(arena, env.entrySet().stream()
                                .map(e -> e.getKey() + "=" + e.getValue()).toList())).orElseGet(f::environ));
                if (error != 0) {
                    throw new HostException("Failed to start " + argv.getFirst() + directory.map(d -> " in " + d)
                            .orElse("") + ": " + describe(error));
                }
                return pid.get(INT, 0);
            } finally {
                int ignored = (int) f.actionsDestroy.invokeExact(actions);
                ignored = (int) f.attrDestroy.invokeExact(attr);
            }
        } catch (HostException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A pipe whose two ends are close-on-exec: {@code [read, write]}. */
    static int[] pipe() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(INT, 2);
            check((int) FUNCTIONS.pipe2.invokeExact(fds, LinuxCalls.O_CLOEXEC), "pipe2");
            return new int[] {fds.getAtIndex(INT, 0), fds.getAtIndex(INT, 1)};
        } catch (HostException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Waits for child {@code pid} to exit and reaps it; its exit status, or 128 + the signal that ended it (as the
     * JDK reports it). Blocks: only on a platform thread.
     */
    static int waitpid(long pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(INT);
            untilDone(arena, pid, state -> (int) FUNCTIONS.waitpid.invokeExact(state, (int) pid, status, 0) == pid);
            int s = status.get(INT, 0);
            return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 0x80 + (s & 0x7f);
        }
    }

    /**
     * Waits for child {@code pid} to exit without reaping it ({@code waitid} with {@code WNOWAIT}): until it is
     * reaped, its pid cannot name another process. Blocks: only on a platform thread.
     */
    static void awaitExit(long pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(SIGINFO_BYTES);
            untilDone(arena, pid, state -> (int) FUNCTIONS.waitid.invokeExact(state, P_PID, (int) pid, info,
                    WEXITED | WNOWAIT) == 0);
        }
    }

    /** A wait for a child, made with the C library's {@code errno} captured into {@code state}; whether it is done. */
    @FunctionalInterface
    private interface Wait {
        boolean done(MemorySegment state) throws Throwable;
    }

    /** Makes {@code wait} again after each signal that interrupts it, until it is done; any other error throws. */
    private static void untilDone(Arena arena, long pid, Wait wait) {
        MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
        try {
            while (!wait.done(state)) {
                if ((int) ERRNO.get(state, 0L) != EINTR) {
                    throw new HostException("Failed to wait for process " + pid + ": errno " + ERRNO.get(state, 0L));
                }
            }
        } catch (HostException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A NULL-terminated array of C strings. */
    private static MemorySegment strings(Arena arena, List<String> values) {
        MemorySegment array = arena.allocate(ADDRESS, values.size() + 1L);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
        }
        array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
        return array;
    }

    private static void check(int result, String call) {
        if (result != 0) {
            throw new HostException("Failed to prepare a child process: " + call + " answered " + describe(result));
        }
    }

    /** As the JDK words it ("error=2, No such file or directory"), for the errors a start usually meets. */
    private static String describe(int errno) {
        String text = switch (errno) {
            case 2 -> "No such file or directory";
            case 7 -> "Argument list too long";
            case 8 -> "Exec format error";
            case 12 -> "Cannot allocate memory";
            case 13 -> "Permission denied";
            case 20 -> "Not a directory";
            case 24 -> "Too many open files";
            default -> "see errno(3)";
        };
        return "error=" + errno + ", " + text;
    }

    /** The C library's functions, or none when one is missing (a C library other than glibc 2.34+). */
    private record Functions(MethodHandle actionsInit, MethodHandle actionsDestroy, MethodHandle addDup2,
                             MethodHandle addOpen, MethodHandle addChdir, MethodHandle addCloseFrom,
                             MethodHandle attrInit, MethodHandle attrDestroy, MethodHandle setFlags,
                             MethodHandle setSigMask, MethodHandle setSigDefault, MethodHandle spawnp,
                             MethodHandle pipe2, MethodHandle waitpid, MethodHandle waitid,
                             MemorySegment environSymbol) {
        static Optional<Functions> load() {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                FunctionDescriptor onePointer = FunctionDescriptor.of(INT, ADDRESS);
                return Optional.of(new Functions(
                        handle(libc, "posix_spawn_file_actions_init", onePointer),
                        handle(libc, "posix_spawn_file_actions_destroy", onePointer),
                        handle(libc, "posix_spawn_file_actions_adddup2", FunctionDescriptor.of(INT, ADDRESS, INT, INT)),
                        handle(libc, "posix_spawn_file_actions_addopen",
                                FunctionDescriptor.of(INT, ADDRESS, INT, ADDRESS, INT, INT)),
                        handle(libc, "posix_spawn_file_actions_addchdir_np",
                                FunctionDescriptor.of(INT, ADDRESS, ADDRESS)),
                        handle(libc, "posix_spawn_file_actions_addclosefrom_np",
                                FunctionDescriptor.of(INT, ADDRESS, INT)),
                        handle(libc, "posix_spawnattr_init", onePointer),
                        handle(libc, "posix_spawnattr_destroy", onePointer),
                        handle(libc, "posix_spawnattr_setflags", FunctionDescriptor.of(INT, ADDRESS,
                                ValueLayout.JAVA_SHORT)),
                        handle(libc, "posix_spawnattr_setsigmask", FunctionDescriptor.of(INT, ADDRESS, ADDRESS)),
                        handle(libc, "posix_spawnattr_setsigdefault", FunctionDescriptor.of(INT, ADDRESS, ADDRESS)),
                        handle(libc, "posix_spawnp", FunctionDescriptor.of(INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                                ADDRESS, ADDRESS)),
                        handle(libc, "pipe2", FunctionDescriptor.of(INT, ADDRESS, INT)),
                        linker.downcallHandle(libc.find("waitpid").orElseThrow(),
                                FunctionDescriptor.of(INT, INT, ADDRESS, INT), Linker.Option.captureCallState("errno")),
                        linker.downcallHandle(libc.find("waitid").orElseThrow(),
                                FunctionDescriptor.of(INT, INT, INT, ADDRESS, INT),
                                Linker.Option.captureCallState("errno")),
                        libc.find("environ").orElseThrow().reinterpret(ADDRESS.byteSize())));
            } catch (RuntimeException | LinkageError e) {
                return Optional.empty();
            }
        }

        /** The server's environment as the C library holds it ({@code char **environ}), read at each start. */
        MemorySegment environ() {
            return environSymbol.get(ADDRESS, 0);
        }

        private static MethodHandle handle(SymbolLookup libc, String name, FunctionDescriptor descriptor) {
            return Linker.nativeLinker().downcallHandle(libc.find(name).orElseThrow(), descriptor);
        }
    }
}
