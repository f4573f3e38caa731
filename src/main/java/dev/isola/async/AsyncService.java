package dev.isola.async;

import dev.isola.config.AsyncConfig;
import dev.isola.function.AsyncPolicy;
import dev.isola.function.FunctionName;
import dev.isola.metrics.Metrics;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link AsyncCalls}: the intake stores calls (group commit), the scheduler starts them within each function's
 * concurrency, the runner sends each attempt through the gateway, and this class decides what an attempt's outcome
 * means for its call: done, tried again after a backoff, or failed for good (the dead letters).
 */
final class AsyncService implements AsyncCalls {
    private static final System.Logger LOG = System.getLogger(AsyncService.class.getName());
    /** Callback deliveries under way at once. */
    static final int MAX_DELIVERIES = 32;
    /** The wait before a store write that failed (busy, disk full) is tried again; the n-th waits n times this. */
    static final Duration STORE_RETRY = Duration.ofSeconds(1);
    static final int STORE_TRIES = 5;

    private final Parts parts;
    private final CallStore store;
    private final CallbackTargets targets;
    private final CallIntake intake;
    private final CallScheduler scheduler;
    private final BodyBuffer bodies;
    private final AttemptMark attemptMark = AttemptMark.random();
    /** Made by {@link #run()}: the client's selector thread is the service's to close. */
    private volatile HttpClient client;
    private volatile CallRunner runner;
    private volatile CallbackDelivery callbacks;
    /** Calls accepted and not finished, those in the intake included: what {@code asyncQueueLimit} bounds. */
    private final AtomicLong unfinished = new AtomicLong();
    /** Bytes of body those calls keep on disk, counted as calls come and end: what {@code asyncQueueBytes} bounds. */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Set<Thread> deliveries = ConcurrentHashMap.newKeySet();
    /** How often each function was deleted: an attempt that sees the count change as it runs is not retried. */
    private final Map<FunctionName, Long> deletions = new ConcurrentHashMap<>();
    /**
     * Deliveries under way at once: each may hold a connection for its timeouts, and thousands of calls can end
     * together (a deleted function's, a restart's undelivered ones); the others wait their turn, holding nothing.
     */
    private final Semaphore delivering = new Semaphore(MAX_DELIVERIES, true);
    private final ExecutorService lookups = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean closing;
    private volatile boolean cutShort;

    private AsyncService(Parts parts) {
        this.parts = parts;
        this.store = parts.store();
        this.targets = new CallbackTargets(parts.config().callbackHosts(), parts.admin());
        this.scheduler = new CallScheduler(parts.clock(), this::concurrency, this::attempt);
        this.bodies = new BodyBuffer(parts.config().bufferBytes());
        this.intake = new CallIntake(store, parts.clock(), parts.config().retention(), parts.config().queueLimit(),
                parts.config().resultBytes(),
                call -> scheduler.add(call.id(), call.function(), call.submitted(), call.submitted()),
                call -> {
                    unfinished.decrementAndGet();
                    queuedBytes.addAndGet(-call.request().body().length);
                });
    }

    /** Makes no thread: that waits for {@link #run()}. */
    static AsyncService create(Parts parts) {
        AsyncService service = new AsyncService(parts);
        parts.metrics().watchAsyncQueues(service::queues);
        return service;
    }

    @Override
    public void run() {
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        runner = new CallRunner(client, parts.gateway().get(), parts.config().resultMaxBytes(), attemptMark);
        callbacks = new CallbackDelivery(client, targets, store, parts.config().retryBackoff(),
                CallbackDelivery.TIMEOUT);
        List<CallStore.Pending> pending = store.recover();
        unfinished.addAndGet(pending.size());
        queuedBytes.addAndGet(store.unfinishedBodyBytes());
        pending.forEach(p -> scheduler.add(p.id(), p.function(), p.submitted(), p.due()));
        store.undeliveredCallbacks().forEach(this::deliverLater);
        if (!pending.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "async: " + pending.size() + " calls of an earlier run queued again");
        }
        intake.start();
        scheduler.start();
    }

    @Override
    public Optional<Submission> refusal(FunctionName function, Optional<String> callbackUrl, boolean keyed) {
        if (closing) {
            return Optional.of(new Submission.Unavailable("Isola is shutting down and takes no new calls"));
        }
        if (parts.policies().apply(function).isEmpty()) {
            return Optional.of(new Submission.NotFound());
        }
        Optional<String> refused = callbackUrl.flatMap(targets::refusal);
        if (refused.isPresent()) {
            return Optional.of(new Submission.CallbackRefused(refused.get()));
        }
        if (!keyed && unfinished.get() >= parts.config().queueLimit()) {
            // A keyed call may repeat one accepted before: submit() looks its key up before it refuses.
            return Optional.of(fullByCount());
        }
        return Optional.empty();
    }

    @Override
    public CompletableFuture<Submission> submit(FunctionName function, CallRequest request,
                                                Optional<String> callbackUrl, Optional<String> idempotencyKey) {
        Optional<Submission> refused = refusal(function, callbackUrl, idempotencyKey.isPresent());
        if (refused.isPresent()) {
            return CompletableFuture.completedFuture(refused.get());
        }
        if (unfinished.incrementAndGet() > parts.config().queueLimit()) {
            unfinished.decrementAndGet();
            return idempotencyKey.isEmpty() ? CompletableFuture.completedFuture(fullByCount())
                    : repeatedOrFull(function, idempotencyKey.get(), fullByCount());
        }
        long bytes = request.body().length;
        if (queuedBytes.addAndGet(bytes) > parts.config().queueBytes()) {
            queuedBytes.addAndGet(-bytes);
            unfinished.decrementAndGet();
            Submission.QueueFull full = new Submission.QueueFull(parts.config().queueBytes() / (1 << 20)
                    + " MiB of request bodies", "asyncQueueBytes");
            return idempotencyKey.isEmpty() ? CompletableFuture.completedFuture(full)
                    : repeatedOrFull(function, idempotencyKey.get(), full);
        }
        NewCall call = new NewCall(CallId.random(), function, request, callbackUrl.map(URI::create), idempotencyKey,
                parts.clock().instant());
        if (call.callback().isEmpty()) {
            return intake.submit(call);
        }
        // The check lists the host's network interfaces: not on the caller's thread (an event loop).
        return CompletableFuture.supplyAsync(() -> targets.refusalOnSend(call.callback().get()), lookups)
                .thenCompose(refusal -> {
                    if (refusal.isPresent()) {
                        unfinished.decrementAndGet();
                        queuedBytes.addAndGet(-bytes);
                        return CompletableFuture.completedFuture(new Submission.CallbackRefused(refusal.get()));
                    }
                    return intake.submit(call);
                });
    }

    private Submission.QueueFull fullByCount() {
        return new Submission.QueueFull(parts.config().queueLimit() + " calls", "asyncQueueLimit");
    }

    /**
     * A full queue and a keyed call: a client that repeats a call accepted before (the reason to send a key) gets
     * that call's id, as it would with room in the queue; any other call is refused. The lookup reads the database,
     * so not on the caller's thread (an event loop).
     */
    private CompletableFuture<Submission> repeatedOrFull(FunctionName function, String key,
                                                         Submission.QueueFull full) {
        Instant since = parts.clock().instant().minus(parts.config().retention());
        return CompletableFuture.supplyAsync(() -> store.findByKey(function, key, since), lookups)
                .handle((found, failed) -> found != null && found.isPresent()
                        ? new Submission.Accepted(found.get(), true) : full);
    }

    private int concurrency(FunctionName function) {
        return parts.policies().apply(function).map(AsyncPolicy::concurrency).orElse(1);
    }

    /** One attempt of a due call, on its own virtual thread. */
    private void attempt(CallScheduler.Due due) {
        Instant now = parts.clock().instant();
        Optional<CallStore.Attempt> started;
        try {
            started = store.start(due.id(), now);
        } catch (RuntimeException e) {
            // The database is busy or full: the call is still queued there, so it is tried again later, not lost
            // from the scheduler until the next start.
            LOG.log(System.Logger.Level.WARNING, "call=" + due.id() + " async: could not start its attempt ("
                    + e.getMessage() + "); no attempt starts for " + STORE_RETRY.toSeconds() + " s");
            scheduler.pauseUntil(now.plus(STORE_RETRY));
            scheduler.add(due.id(), due.function(), due.submitted(), now.plus(STORE_RETRY));
            return;
        }
        if (started.isEmpty()) {
            return; // cancelled while it waited
        }
        CallStore.Attempt attempt = started.get();
        long deletionsAtStart = deletions.getOrDefault(attempt.function(), 0L);
        Optional<AsyncPolicy> policy = parts.policies().apply(attempt.function());
        if (policy.isEmpty()) {
            end(attempt, CallState.FAILED, Optional.empty(),
                    Optional.of("function " + attempt.function() + " is not deployed"));
            return;
        }
        parts.metrics().asyncAttempted(attempt.function().value());
        CallRunner.Outcome outcome;
        try {
            outcome = runner.send(attempt, policy.get().timeout());
        } catch (InterruptedException e) {
            // The server stops and cannot wait for this attempt: it did not count, the next start runs it again.
            // (If even this write fails, the call stays running, which the next start also queues again.)
            store.requeue(attempt.id(), parts.clock().instant());
            return;
        } catch (IllegalArgumentException e) {
            // A request the client cannot make (a method it refuses): no attempt will do better.
            end(attempt, CallState.FAILED, Optional.empty(), Optional.of("the call cannot be sent: " + e.getMessage()));
            return;
        }
        Optional<CallResult> result = outcome instanceof CallRunner.Outcome.Answered a
                ? Optional.of(a.result()) : Optional.empty();
        Optional<String> error = outcome instanceof CallRunner.Outcome.NoAnswer n
                ? Optional.of(n.error()) : Optional.empty();
        int status = result.map(CallResult::status).orElse(0);
        if (result.isPresent() && status < 400) {
            end(attempt, CallState.SUCCEEDED, result, error);
        } else if (result.isPresent() && !retryable(status)) {
            end(attempt, CallState.FAILED, result, error); // a client error: another attempt would get the same
        } else if (deletions.getOrDefault(attempt.function(), 0L) != deletionsAtStart) {
            // Deleted while this attempt ran (its queued calls ended failed then): a retry would run on a function
            // of the same name deployed later, which is not the one it was sent to.
            end(attempt, CallState.FAILED, result, Optional.of("function " + attempt.function()
                    + " was deleted while the call ran" + error.map(e -> " (" + e + ")").orElse("")));
        } else if (attempt.number() < policy.get().maxAttempts()) {
            Instant next = parts.clock().instant().plus(backoff(attempt.number()));
            persist(attempt.id(), "its retry", () -> store.retry(attempt.id(), next, result, error));
            scheduler.add(attempt.id(), attempt.function(), due.submitted(), next);
        } else {
            end(attempt, CallState.FAILED, result, error);
        }
    }

    /** 5xx, 408 and 429 may go away on their own (an instance that crashed, a timeout, a full queue). */
    static boolean retryable(int status) {
        return status >= 500 || status == 408 || status == 429;
    }

    /** The wait before attempt {@code attempts + 1}: the base doubled per attempt, ±20 % so retries spread out. */
    private Duration backoff(int attempts) {
        Duration base = parts.config().retryBackoff();
        Duration exact = attempts >= 30 ? AsyncConfig.MAX_BACKOFF : base.multipliedBy(1L << (attempts - 1));
        if (exact.compareTo(AsyncConfig.MAX_BACKOFF) > 0) {
            exact = AsyncConfig.MAX_BACKOFF;
        }
        return Duration.ofNanos((long) (exact.toNanos() * ThreadLocalRandom.current().nextDouble(0.8, 1.2)));
    }

    /**
     * Writes what an attempt came to, trying again while the database is busy or full: the attempt ran, and its
     * outcome must not be lost. If it still fails (or the server stops meanwhile) the call stays {@code running},
     * and the next start queues it again.
     */
    private void persist(CallId id, String what, Runnable write) {
        for (int tries = 1; ; tries++) {
            try {
                write.run();
                return;
            } catch (RuntimeException e) {
                if (tries == STORE_TRIES) {
                    throw e;
                }
                LOG.log(System.Logger.Level.WARNING, "call=" + id + " async: could not store " + what + " ("
                        + e.getMessage() + "); trying again");
            }
            try {
                Thread.sleep(STORE_RETRY.multipliedBy(tries));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("stopped before " + what + " could be stored; the call runs again "
                        + "at the next start", e);
            }
        }
    }

    private void end(CallStore.Attempt attempt, CallState state, Optional<CallResult> result, Optional<String> error) {
        persist(attempt.id(), "its end", () -> store.finish(attempt.id(), state, parts.clock().instant(), result,
                error));
        unfinished.decrementAndGet();
        queuedBytes.addAndGet(-attempt.request().body().length);
        parts.metrics().asyncFinished(attempt.function().value(), state.wireName());
        if (attempt.callback().isPresent()) {
            deliverLater(attempt.id());
        }
    }

    private void deliverLater(CallId id) {
        Thread t = Thread.ofVirtual().name("isola-async-callback").unstarted(() -> {
            try {
                delivering.acquire();
                try {
                    callbacks.deliver(id);
                } finally {
                    delivering.release();
                }
            } catch (InterruptedException e) {
                // Stopping: the delivery has no outcome, so the next start tries it again.
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "call=" + id + " async: callback failed: " + e);
            } finally {
                deliveries.remove(Thread.currentThread());
            }
        });
        deliveries.add(t);
        t.start();
    }

    private List<Metrics.AsyncQueue> queues() {
        Instant now = parts.clock().instant();
        return scheduler.depths().stream().map(d -> new Metrics.AsyncQueue(d.function().value(), d.queued(),
                Math.max(0, Duration.between(d.oldestSubmitted(), now).toMillis() / 1000.0))).toList();
    }

    @Override
    public long maxBodyBytes() {
        return parts.config().maxBodyBytes();
    }

    @Override
    public AttemptMark attemptMark() {
        return attemptMark;
    }

    @Override
    public BodyBuffer bodies() {
        return bodies;
    }

    @Override
    public Optional<AsyncCall> find(CallId id) {
        return store.find(id);
    }

    @Override
    public List<AsyncCall> list(FunctionName function, Optional<CallState> state, int limit) {
        return store.list(function, state, limit);
    }

    @Override
    public Optional<CallState> cancel(CallId id) {
        Optional<CallStore.Cancel> was = store.cancel(id);
        if (was.isPresent() && was.get().state() == CallState.QUEUED) {
            unfinished.decrementAndGet(); // the scheduler finds it gone when it comes due
            queuedBytes.addAndGet(-was.get().bodyBytes());
        }
        return was.map(CallStore.Cancel::state);
    }

    @Override
    public void removed(FunctionName function) {
        deletions.merge(function, 1L, Long::sum);
        scheduler.forget(function);
        List<CallStore.Ended> ended = store.failQueued(function, "function " + function + " was deleted",
                parts.clock().instant());
        unfinished.addAndGet(-ended.size());
        queuedBytes.addAndGet(-ended.stream().mapToLong(CallStore.Ended::bodyBytes).sum());
        for (CallStore.Ended call : ended) {
            parts.metrics().asyncFinished(function.value(), CallState.FAILED.wireName());
            if (call.callback()) {
                deliverLater(call.id());
            }
        }
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        lookups.close();
        intake.close();
        scheduler.stop();
        try {
            if (!cutShort && !scheduler.awaitAttempts(parts.drainTimeout())) {
                LOG.log(System.Logger.Level.WARNING, "async: attempts still running after the drain timeout are "
                        + "cut short; their calls run again at the next start");
            }
            scheduler.interruptAttempts();
            deliveries.forEach(Thread::interrupt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scheduler.close();
        if (client != null) {
            client.close();
        }
    }

    @Override
    public void cutShort() {
        cutShort = true;
        try {
            scheduler.interruptAttempts();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
