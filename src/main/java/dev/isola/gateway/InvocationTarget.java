package dev.isola.gateway;

import dev.isola.Ticker;
import dev.isola.api.ErrorCode;
import dev.isola.dispatch.Acquisition;
import dev.isola.dispatch.Dispatcher;
import dev.isola.dispatch.Lease;
import dev.isola.function.FunctionName;
import dev.isola.metrics.Metrics;
import dev.isola.store.InvocationRecord;
import dev.isola.store.InvocationLog;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One invocation of a function: a lease from the dispatcher, the {@code X-Isola-*} headers, metrics and the
 * invocation record.
 *
 * <p>The dispatcher answers on the event loop without blocking: the warm path is served inline; only a call that must
 * wait or that starts an instance ({@link Acquisition.Pending}, decided as the call arrives) has a virtual thread wait
 * for it and hand the lease back to the loop. A start for this call is probed from this call's loop, which keeps the
 * connection the instance accepts for the call ({@link UpstreamPool#probeForCalls}).
 */
final class InvocationTarget implements ProxyTarget {
    private static final System.Logger LOG = System.getLogger(InvocationTarget.class.getName());
    /** Header names and fixed values as AsciiString: the encoder copies those as bytes instead of char by char. */
    static final AsciiString INSTANCE_HEADER = AsciiString.cached("X-Isola-Instance");
    static final AsciiString COLD_START_HEADER = AsciiString.cached("X-Isola-Cold-Start");
    static final AsciiString VERSION_HEADER = AsciiString.cached("X-Isola-Version");
    private static final AsciiString TRUE = AsciiString.cached("true");
    private static final AsciiString FALSE = AsciiString.cached("false");

    /** What the gateway shares with every invocation. */
    record Services(Dispatcher dispatcher, Metrics metrics, InvocationLog invocations, CallFailures failures,
                    Ticker ticker, InstantSource wallClock) {
    }

    private final Services services;
    private final FunctionName name;
    private final long beginNanos;
    private final Instant started;
    private Lease lease;
    private Metrics.FunctionMetrics metrics;
    private boolean retried;
    /** The call's wait, until it settles: the one to abandon. */
    private Acquisition.Pending pending;

    InvocationTarget(Services services, FunctionName name) {
        this.services = services;
        this.name = name;
        this.beginNanos = services.ticker().nanos();
        this.started = services.wallClock().instant();
    }

    @Override
    public void open(ProxyExchange exchange) {
        EventLoop loop = exchange.loop();
        Acquisition now = services.dispatcher().acquire(name, exchange.upstreams().probeForCalls());
        if (!(now instanceof Acquisition.Pending waiting)) {
            acquired(exchange, now);
            return;
        }
        pending = waiting;
        Thread.ofVirtual().name("acquire-" + name).start(() -> {
            Acquisition later = waiting.await();
            try {
                loop.execute(() -> acquired(exchange, later));
            } catch (RejectedExecutionException e) { // the gateway is shutting down
                if (later instanceof Acquisition.Acquired a) {
                    a.lease().release(true);
                }
            }
        });
    }

    @Override
    public void abandon() {
        if (pending != null) {
            pending.abandon();
        }
    }

    private void acquired(ProxyExchange exchange, Acquisition acquisition) {
        pending = null;
        switch (acquisition) {
            case Acquisition.Acquired a -> {
                lease = a.lease();
                metrics = services.metrics().of(name.value(), lease.backend());
                metrics.inFlight(1);
                exchange.opened(lease.endpoint(), lease.instanceId(), lease.timeout().toMillis(),
                        lease.startNanos());
            }
            case Acquisition.NotFound n ->
                    exchange.rejected(ErrorCode.FUNCTION_NOT_FOUND, "Function '" + n.name() + "' is not deployed");
            case Acquisition.Saturated s -> {
                record(false, ErrorCode.SATURATED.status(), "-", "-");
                exchange.rejected(ErrorCode.SATURATED, s.message());
            }
            case Acquisition.StartFailed f -> {
                record(true, ErrorCode.START_FAILED.status(), f.backend(), "-");
                exchange.rejected(ErrorCode.START_FAILED, f.message());
            }
            case Acquisition.Unavailable u -> exchange.rejected(ErrorCode.UNAVAILABLE, u.message());
            case Acquisition.TimedOut t -> {
                record(false, ErrorCode.TIMEOUT.status(), t.backend(), "-");
                exchange.rejected(ErrorCode.TIMEOUT, t.message());
            }
            case Acquisition.Pending p -> throw new IllegalStateException("a settled acquisition is never pending");
        }
    }

    @Override
    public void decorate(HttpHeaders headers) {
        headers.set(INSTANCE_HEADER, lease.instanceId());
        headers.set(COLD_START_HEADER, lease.coldStart() ? TRUE : FALSE);
        headers.set(VERSION_HEADER, lease.version());
    }

    @Override
    public void finish(int status, boolean healthy) {
        lease.release(healthy);
        metrics.inFlight(-1);
        record(lease.coldStart(), status, lease.backend(), lease.instanceId());
    }

    /**
     * Once per call, and not for an instance started for this call: one that refused for a second after it said it
     * was ready ({@link UpstreamConnect}) is a function that does not listen, and another start would only double the
     * cost of finding that out. The instance takes no more calls and is replaced, unless it was only too busy to
     * accept ({@link #busyNotBroken}). Said at WARNING: an instance that
     * still runs but takes no connection is a fault the operator should see, though the caller did not.
     */
    @Override
    public boolean retryElsewhere(String cause) {
        if (retried || lease.coldStart()) {
            return false;
        }
        retried = true;
        boolean busy = busyNotBroken(cause, false);
        // Busy: a thousand lines a minute under such a load, and no fault; the metrics show the load.
        LOG.log(busy ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING, label() + " at " + lease.endpoint()
                + ": no connection (" + cause + ") while its sandbox " + (busy
                ? "serves other requests; the call goes to another instance (or "
                + "tries this one again), and this one stays: busy, not broken"
                : (lease.instanceAlive() ? "still runs" : "has exited")
                + "; the call goes to another instance, and this one is replaced"));
        lease.release(busy);
        metrics.inFlight(-1);
        lease = null;
        metrics = null;
        return true;
    }

    /**
     * A connection not accepted in time, or reset or closed with the request in it, by an instance that runs and
     * answers other requests: it is overloaded (thousands of clients at once; a guest under TCG resets what it cannot
     * take), which replacing it would only make worse. An instance whose sandbox exited, one that refuses or cannot
     * be reached, and an idle one that fails are broken and replaced. Called after {@link #describeFailure}, which
     * waits for a dying sandbox's exit, so a crash that closed the connection is not taken for load.
     */
    @Override
    public boolean busyNotBroken(String cause, boolean connected) {
        return (connected || cause.startsWith(UpstreamConnect.TIMED_OUT)) && lease.instanceAlive()
                && lease.servingOthers();
    }

    @Override
    public boolean fresh() {
        return lease.coldStart();
    }

    @Override
    public boolean alive() {
        return lease.instanceAlive();
    }

    /**
     * Server-side failures (the function's start, crash or timeout) go to the function's log under the request id;
     * not a caller's mistake, nor a call to a function that does not exist (whose name the caller chose).
     */
    @Override
    public void failed(String requestId, int status, String code, String message) {
        if (status >= 500 && !code.equals(ErrorCode.UNAVAILABLE.wireName())) {
            services.failures().failed(name, "request " + requestId + ": " + status + " " + code + ": " + message);
        }
    }

    @Override
    public String label() {
        return "fn=" + name + (lease == null ? "" : " inst=" + lease.instanceId());
    }

    @Override
    public String describeFailure(String cause) {
        return label() + ": the function failed to answer ("
                + lease.exitReason().map(r -> "it " + r).orElse(cause) + ")";
    }

    private void record(boolean cold, int status, String backend, String instance) {
        long took = services.ticker().nanos() - beginNanos;
        (metrics != null ? metrics : services.metrics().of(name.value(), backend)).invoked(cold, status, took);
        services.invocations().record(new InvocationRecord(name, started, TimeUnit.NANOSECONDS.toMicros(took), cold,
                status, backend, instance));
    }
}
