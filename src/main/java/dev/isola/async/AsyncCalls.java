package dev.isola.async;

import dev.isola.config.AsyncConfig;
import dev.isola.function.AsyncPolicy;
import dev.isola.function.FunctionName;
import dev.isola.metrics.Metrics;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Asynchronous calls: accepted at {@code /async-function/{name}} once durably stored, run at least once through the
 * gateway (as OpenFaaS's queue worker does), retried with backoff, their result kept and, if asked, delivered to a
 * callback. The seam between the edge and the admin API on one side and the queue on the other.
 */
public interface AsyncCalls extends AutoCloseable {
    /**
     * Queues again what an earlier run left queued or running, and begins storing and running calls. Called once the
     * gateway serves every stored function, since attempts go through it.
     */
    void run();

    /**
     * Why a call to {@code function} must be refused before its body is read: the function is not deployed, the
     * callback is not allowed, the queue is full, the server is stopping. Empty: read the body and submit it.
     */
    Optional<Submission> refusal(FunctionName function, Optional<String> callbackUrl, boolean keyed);

    /**
     * Stores the call durably and queues it. Completes, never exceptionally, once the answer may go: {@code Accepted}
     * only after the call is synced to the disk.
     */
    CompletableFuture<Submission> submit(FunctionName function, CallRequest request, Optional<String> callbackUrl,
                                         Optional<String> idempotencyKey);

    /** The largest request body a call may carry ({@code asyncMaxBodyBytes}). */
    long maxBodyBytes();

    /** What marks this run's own attempts as they reach the edge. */
    AttemptMark attemptMark();

    /** The memory the edge may hold bodies in while it reads them ({@code asyncBufferBytes}). */
    BodyBuffer bodies();

    Optional<AsyncCall> find(CallId id);

    /** A function's calls, newest first; {@code state} {@code failed} lists its dead letters. */
    List<AsyncCall> list(FunctionName function, Optional<CallState> state, int limit);

    /** Cancels a call that has not run yet: the state it was in (only {@code QUEUED} cancelled it), or empty. */
    Optional<CallState> cancel(CallId id);

    /** The function was deleted: its queued calls end {@code failed}. */
    void removed(FunctionName function);

    /**
     * Starts no more attempts and waits, up to the drain timeout, for those under way; any still running then (or
     * after {@link #cutShort()}) stay stored as running and run again at the next start.
     */
    @Override
    void close();

    /** Ends the wait of a {@link #close()} in progress (the operator's second SIGTERM). */
    void cutShort();

    /**
     * What the queue is made of.
     *
     * @param gateway  where attempts are sent: the edge's own port, on loopback (known once it listens)
     * @param admin    the admin listener, which a callback may never reach (known once it listens)
     * @param policies the async policy of a deployed function's served version, empty when it is not deployed; asked
     *                 on the edge's event loops, so it must not block
     */
    record Parts(CallStore store, AsyncConfig config, Supplier<URI> gateway, Supplier<InetSocketAddress> admin,
                 Function<FunctionName, Optional<AsyncPolicy>> policies, Metrics metrics, InstantSource clock,
                 Duration drainTimeout) {
    }

    /**
     * Makes the queue without running anything: calls may be submitted, and wait, until {@link #run()}. No thread is
     * made yet, so a server that fails to start before {@code run} leaves nothing behind.
     */
    static AsyncCalls create(Parts parts) {
        return AsyncService.create(parts);
    }
}
