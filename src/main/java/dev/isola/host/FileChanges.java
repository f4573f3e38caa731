package dev.isola.host;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes to many files, told by the kernel ({@code inotify(7)}) instead of found by asking each file: one
 * platform thread waits in {@link #await} and wakes only when a watched file was written to (or {@link #wake} is
 * called). The JDK's {@code WatchService} watches directories, names every event and runs a thread of its own; this
 * watches single files by number. The kernel merges repeated writes to a file into one event while they wait, so a
 * file written in a flood costs one event per wait, not one per write.
 *
 * <p>A watch costs kernel memory and counts against the user's {@code fs.inotify.max_user_watches}: past it
 * {@link #watch} answers -1 and the caller must look at that file by itself.
 */
public final class FileChanges implements AutoCloseable {
    /** In {@link #await}'s answer: the kernel's queue overflowed and events were lost; any file may have changed. */
    public static final int OVERFLOW = -1;
    private static final int IN_NONBLOCK = 0x800;
    private static final int IN_CLOEXEC = 0x80000;
    private static final int IN_MODIFY = 0x2;
    private static final int IN_Q_OVERFLOW = 0x4000;
    private static final int IN_IGNORED = 0x8000;
    /** {@code struct inotify_event}: int wd, uint32 mask, cookie, len, then {@code len} bytes of name. */
    private static final int EVENT_HEADER_BYTES = 16;
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private static final MethodHandle INIT = LinuxCalls.call("inotify_init1", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle ADD_WATCH = LinuxCalls.call("inotify_add_watch",
            FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS, INT));
    private static final MethodHandle RM_WATCH = LinuxCalls.call("inotify_rm_watch",
            FunctionDescriptor.of(INT, INT, INT));

    private final int inotify;
    private final int wakeFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(BUFFER_BYTES, 8);
    private final MemorySegment wakeCount = arena.allocate(ValueLayout.JAVA_LONG);
    private boolean closed;

    private FileChanges(int inotify, int wakeFd) {
        this.inotify = inotify;
        this.wakeFd = wakeFd;
    }

    /**
     * A new set of watches. Where the kernel refuses an inotify instance (its per-user limit,
     * {@code fs.inotify.max_user_instances}) every {@link #watch} answers -1 and {@link #await} waits for
     * {@link #wake} and its timeout only.
     */
    public static FileChanges open() {
        int inotify;
        try {
            inotify = (int) INIT.invokeExact(IN_NONBLOCK | IN_CLOEXEC);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        try {
            return new FileChanges(inotify, Epoll.eventFd());
        } catch (RuntimeException e) {
            if (inotify >= 0) {
                LinuxCalls.close(inotify);
            }
            throw e;
        }
    }

    /** Watches {@code file} for writes; the watch's number, or -1 when the kernel refuses (its per-user limit). */
    public synchronized int watch(Path file) {
        if (closed || inotify < 0) {
            return -1;
        }
        try (Arena path = Arena.ofConfined()) {
            return (int) ADD_WATCH.invokeExact(inotify, path.allocateFrom(file.toString()), IN_MODIFY);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Ends a watch; nothing when it has ended already (its file was deleted). */
    public synchronized void unwatch(int watch) {
        if (closed || inotify < 0) {
            return;
        }
        try {
            int ignored = (int) RM_WATCH.invokeExact(inotify, watch);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Waits up to {@code timeoutMillis} (-1: for as long as it takes) for writes to watched files or a
     * {@link #wake}; the watches written to (one may appear more than once), with {@link #OVERFLOW} among them if
     * events were lost. Blocks in the kernel: for a platform thread only (a virtual one would pin its carrier).
     */
    public int[] await(int timeoutMillis) { // poll(2) ignores a negative descriptor: no inotify, only the wake
        short[] ready = LinuxCalls.poll(timeoutMillis, inotify, wakeFd);
        if ((ready[1] & LinuxCalls.POLLIN) != 0) {
            LinuxCalls.read(wakeFd, wakeCount, 8); // resets it
        }
        return (ready[0] & LinuxCalls.POLLIN) != 0 ? readEvents() : new int[0];
    }

    /** Makes a thread in {@link #await} return now (or the next call, if none waits). */
    public synchronized void wake() {
        if (!closed) { // its number may be another file's once closed
            Epoll.signal(wakeFd);
        }
    }

    private int[] readEvents() {
        int[] watches = new int[16];
        int count = 0;
        long n;
        while ((n = LinuxCalls.read(inotify, buffer, BUFFER_BYTES)) > 0) {
            for (long at = 0; at < n; at += EVENT_HEADER_BYTES + buffer.get(INT, at + 12)) {
                int mask = buffer.get(INT, at + 4);
                int watch = (mask & IN_Q_OVERFLOW) != 0 ? OVERFLOW : buffer.get(INT, at);
                if ((mask & IN_IGNORED) == 0) { // IN_IGNORED: the watch ended (file deleted, or unwatch())
                    if (count == watches.length) {
                        watches = Arrays.copyOf(watches, count * 2);
                    }
                    watches[count++] = watch;
                }
            }
        }
        return Arrays.copyOf(watches, count);
    }

    /** Ends every watch; call once no thread is in {@link #await}. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (inotify >= 0) {
                LinuxCalls.close(inotify);
            }
            LinuxCalls.close(wakeFd);
            arena.close();
        }
    }
}
