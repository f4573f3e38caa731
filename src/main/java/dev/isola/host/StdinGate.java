package dev.isola.host;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A pipe that a child takes as its standard input and waits on, reading one line: {@link #release()} writes that
 * line, {@link #close()} ends the pipe unread (the child reads end of file). Both ends are close-on-exec, so only
 * the child it is given to ({@link ProcessRunner#resultTo(Command, java.nio.file.Path, StdinGate)}) and what that
 * child hands it on to hold the read end. It lets a sandbox be made and started whole ahead of need, with the
 * function's program held back behind one {@code read}: what gVisor's sandboxes on standby wait on.
 */
public final class StdinGate implements AutoCloseable {
    private int readEnd;
    private int writeEnd;

    private StdinGate(int[] ends) {
        this.readEnd = ends[0];
        this.writeEnd = ends[1];
    }

    /** Whether a child can be given a gate here: the spawn that passes it needs glibc 2.34 or later. */
    public static boolean available() {
        return PosixSpawn.available();
    }

    public static StdinGate open() {
        return new StdinGate(PosixSpawn.pipe());
    }

    /** The end a child gets as its stdin; -1 once given. */
    synchronized int readEnd() {
        return readEnd;
    }

    /** The child has its own copy of the read end now (or never will): this one goes. */
    synchronized void readEndGiven() {
        if (readEnd >= 0) {
            LinuxCalls.close(readEnd);
            readEnd = -1;
        }
    }

    /**
     * Lets the waiting child on: writes its line and closes the pipe. False when no reader is left (it died) or the
     * gate was released or closed already.
     */
    public synchronized boolean release() {
        if (writeEnd < 0) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment line = arena.allocate(1);
            line.set(ValueLayout.JAVA_BYTE, 0, (byte) '\n');
            // One byte into an empty pipe never blocks; with no reader left it fails (EPIPE: the JVM ignores SIGPIPE).
            return LinuxCalls.write(writeEnd, line, 1) == 1;
        } finally {
            close();
        }
    }

    /** Closes both ends unreleased: a child still waiting reads end of file. */
    @Override
    public synchronized void close() {
        readEndGiven();
        if (writeEnd >= 0) {
            LinuxCalls.close(writeEnd);
            writeEnd = -1;
        }
    }
}
