package dev.isola.gateway;

import static dev.isola.gateway.ClientPhase.CLOSED;
import static dev.isola.gateway.ClientPhase.EXCHANGING;
import static dev.isola.gateway.ClientPhase.IDLE;
import static dev.isola.gateway.ClientPhase.READING_HEAD;

/**
 * One client connection's {@link ClientPhase} and the deadline that goes with it: the head's ({@code headerTimeout}),
 * the keep-alive wait's, or, while a body arrives, the latest time it may have arrived so far at
 * {@code minBodyRate}. Plain arithmetic on times the caller passes in (the connection's ticker); the
 * {@link FrontHandler} keeps one timer for it and asks {@link #due} when the timer fires.
 *
 * <p>The body's deadline moves with what arrived: {@code start + grace + paused + bytes / minBodyRate}, so a body
 * that keeps the rate is never due, whatever its size, and nothing is computed per piece (a counter is added to). Time
 * the edge holds the client back ({@link #paused}: the instance cannot take more yet, or is still starting) does not
 * count against it.
 */
final class ClientDeadlines {
    /** No deadline. Compared by identity only, never in arithmetic. */
    static final long NEVER = Long.MAX_VALUE;

    /** What came due at a check. */
    enum Due { NOTHING, HEAD, KEEP_ALIVE, BODY }

    private final long headerNanos;
    private final long keepAliveNanos;
    private final long graceNanos;
    /** Nanoseconds a body may take per byte at the minimum rate; 0: no minimum. */
    private final double nanosPerByte;

    private ClientPhase phase = READING_HEAD;
    private boolean started;
    /** The head's or the keep-alive wait's deadline. */
    private long phaseDeadline = NEVER;
    private long requestStart;
    private long bodyBytes;
    private boolean bodyDone;
    private boolean paused;
    private long pausedSince;
    private long pausedNanos;

    ClientDeadlines(ClientLimits limits) {
        this.headerNanos = limits.headerTimeout().toNanos();
        this.keepAliveNanos = limits.keepAliveTimeout().toNanos();
        this.graceNanos = limits.bodyRateGrace().toNanos();
        this.nanosPerByte = limits.minBodyRate() == 0 ? 0 : 1e9 / limits.minBodyRate();
    }

    ClientPhase phase() {
        return phase;
    }

    private void moveTo(ClientPhase next) {
        if (!phase.leadsTo(next)) {
            throw new IllegalStateException("Failed to move client connection: " + phase + " cannot lead to " + next);
        }
        phase = next;
    }

    /** The connection was accepted: its first head is due within {@code headerTimeout}. Once; returns the deadline. */
    long connected(long now) {
        if (!started && phase == READING_HEAD) {
            started = true;
            phaseDeadline = now + headerNanos;
        }
        return nextCheck();
    }

    /** Bytes of the next request arrived on an idle connection, not yet a whole head. Returns the head's deadline. */
    long headStarted(long now) {
        moveTo(READING_HEAD);
        phaseDeadline = now + headerNanos;
        return phaseDeadline;
    }

    /** A whole head arrived: the request starts now. Returns when its body may first be due. */
    long headReceived(long now) {
        moveTo(EXCHANGING);
        phaseDeadline = NEVER;
        requestStart = now;
        bodyBytes = 0;
        bodyDone = false;
        pausedNanos = 0;
        pausedSince = now; // a pipelined request is replayed while reading is paused
        return nextCheck();
    }

    long requestStart() {
        return requestStart;
    }

    /** A piece of the body, {@code last} if it ends it. */
    void body(int bytes, boolean last) {
        bodyBytes += bytes;
        bodyDone |= last;
    }

    /** The edge stopped reading the client. */
    void paused(long now) {
        if (!paused) {
            paused = true;
            pausedSince = now;
        }
    }

    /** The edge reads the client again. Returns when the body may next be due. */
    long resumed(long now) {
        if (paused) {
            paused = false;
            pausedNanos += now - pausedSince;
        }
        return nextCheck();
    }

    /** Answered, and the connection kept for the next request. Returns the keep-alive deadline. */
    long answered(long now) {
        moveTo(IDLE);
        phaseDeadline = now + keepAliveNanos;
        return phaseDeadline;
    }

    void closed() {
        if (phase != CLOSED) {
            moveTo(CLOSED);
        }
    }

    /** What is due at {@code now}, if anything. Does not move the phase: the caller acts, then closes. */
    Due due(long now) {
        return switch (phase) {
            case READING_HEAD -> started && now - phaseDeadline >= 0 ? Due.HEAD : Due.NOTHING;
            case IDLE -> now - phaseDeadline >= 0 ? Due.KEEP_ALIVE : Due.NOTHING;
            case EXCHANGING -> {
                long body = bodyDeadline();
                yield body != NEVER && now - body >= 0 ? Due.BODY : Due.NOTHING;
            }
            case CLOSED -> Due.NOTHING;
        };
    }

    /** When something may next come due ({@link #NEVER}: nothing can until the phase changes). */
    long nextCheck() {
        return switch (phase) {
            case READING_HEAD -> started ? phaseDeadline : NEVER;
            case IDLE -> phaseDeadline;
            case EXCHANGING -> bodyDeadline();
            case CLOSED -> NEVER;
        };
    }

    private long bodyDeadline() {
        if (nanosPerByte == 0 || bodyDone || paused) {
            return NEVER;
        }
        return requestStart + graceNanos + pausedNanos + (long) Math.min(bodyBytes * nanosPerByte, 1e18);
    }

    /** The earlier of two deadlines, either of which may be {@link #NEVER}. */
    static long earliest(long a, long b) {
        if (a == NEVER) {
            return b;
        }
        if (b == NEVER) {
            return a;
        }
        return a - b <= 0 ? a : b;
    }
}
