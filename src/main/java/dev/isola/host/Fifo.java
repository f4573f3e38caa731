package dev.isola.host;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One byte through a named pipe whose other end a given process holds (or is about to open): the hand-shake by which
 * an OCI runtime's {@code start} lets a created container's init run its program. Both ends are opened
 * non-blocking and watched together with the peer's {@link Pidfd}, so a peer that dies first ends the wait at once
 * instead of leaving an {@code open} or a {@code read} blocked for ever.
 */
public final class Fifo {
    private static final int POLL_MILLIS = 1;

    private Fifo() {
    }

    /** Opens {@code fifo} for reading and takes one byte its writer {@code writer} sends; false if it died first. */
    public static boolean receive(Path fifo, Pidfd writer, Duration timeout) throws InterruptedException {
        int fd = LinuxCalls.open(fifo, LinuxCalls.O_RDONLY | LinuxCalls.O_NONBLOCK | LinuxCalls.O_CLOEXEC);
        if (fd < 0) {
            return false;
        }
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                // Waits in the kernel, up to 1 ms at a time: the byte comes microseconds after the open (the writer
                // is blocked opening its end), and a park of 1 ms instead cost a standby start about that much.
                short[] ready = LinuxCalls.poll(POLL_MILLIS, fd, writer.fd());
                if ((ready[0] & LinuxCalls.POLLIN) != 0 && LinuxCalls.readByte(fd) == 1) {
                    return true;
                }
                if ((ready[1] & LinuxCalls.POLLIN) != 0) {
                    return false; // the writer died without sending
                }
                checkDeadline(deadline);
                // A native wait pins a virtual thread's carrier: between waits, other virtual threads go first, or a
                // writer that never sends (a stopped init) would hold the carrier until the deadline.
                Thread.yield();
            }
        } finally {
            LinuxCalls.close(fd);
        }
    }

    /**
     * Sends one byte to the reader {@code reader} of {@code fifo} once it has the pipe open (opening the write end of
     * a FIFO without a reader fails rather than waits when non-blocking); false if the reader died first.
     */
    public static boolean send(Path fifo, Pidfd reader, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int fd = LinuxCalls.open(fifo, LinuxCalls.O_WRONLY | LinuxCalls.O_NONBLOCK | LinuxCalls.O_CLOEXEC);
            if (fd >= 0) {
                try {
                    return LinuxCalls.writeByte(fd);
                } finally {
                    LinuxCalls.close(fd);
                }
            }
            if (!reader.isAlive()) {
                return false;
            }
            await(deadline);
        }
    }

    private static void await(long deadline) throws InterruptedException {
        checkDeadline(deadline);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    private static void checkDeadline(long deadline) throws InterruptedException {
        if (System.nanoTime() - deadline >= 0) {
            throw new HostException("no answer through the FIFO in time");
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }
}
