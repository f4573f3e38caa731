package dev.isola.gateway;

import dev.isola.dispatch.Acquisition;
import dev.isola.dispatch.Dispatcher;
import dev.isola.dispatch.Lease;
import dev.isola.dispatch.Ticker;
import dev.isola.function.FunctionName;
import dev.isola.metrics.Metrics;
import dev.isola.store.InvocationRecord;
import dev.isola.store.Store;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One invocation of a function: a lease from the dispatcher, the {@code X-Isola-*} headers, metrics and the
 * invocation record.
 *
 * <p>The warm path ({@link Dispatcher#tryAcquire}) runs inline on the event loop; only when the dispatcher would
 * queue the request or start an instance does a virtual thread wait for it and hand the lease back to the loop.
 * Whether it starts one is decided on the loop too, as the request arrives ({@link Dispatcher#acquireLater}).
 */
final class InvocationTarget implements ProxyTarget {
    /** Header names and fixed values as AsciiString: the encoder copies those as bytes instead of char by char. */
    static final AsciiString INSTANCE_HEADER = AsciiString.cached("X-Isola-Instance");
    static final AsciiString COLD_START_HEADER = AsciiString.cached("X-Isola-Cold-Start");
    private static final AsciiString TRUE = AsciiString.cached("true");
    private static final AsciiString FALSE = AsciiString.cached("false");

    /** What the gateway shares with every invocation. */
    record Services(Dispatcher dispatcher, Metrics metrics, Store store) {
    }

    private final Services services;
    private final FunctionName name;
    private final Ticker ticker;
    private final long beginNanos;
    private final Instant started;
    private Lease lease;
    private Metrics.FunctionMetrics metrics;

    InvocationTarget(Services services, FunctionName name) {
        this.services = services;
        this.name = name;
        this.ticker = services.dispatcher().ticker();
        this.beginNanos = ticker.nanos();
        this.started = Instant.now();
    }

    @Override
    public void open(ProxyExchange exchange) {
        Acquisition now = services.dispatcher().tryAcquire(name);
        if (now != null) {
            acquired(exchange, now);
            return;
        }
        EventLoop loop = exchange.loop();
        Supplier<Acquisition> rest = services.dispatcher().acquireLater(name);
        Thread.ofVirtual().name("acquire-" + name).start(() -> {
            Acquisition later = ScopedValue.where(FirstConnections.REQUEST_LOOP, loop).call(rest::get);
            try {
                loop.execute(() -> acquired(exchange, later));
            } catch (RejectedExecutionException e) { // the gateway is shutting down
                if (later instanceof Acquisition.Acquired a) {
                    a.lease().release(true);
                }
            }
        });
    }

    private void acquired(ProxyExchange exchange, Acquisition acquisition) {
        switch (acquisition) {
            case Acquisition.Acquired a -> {
                lease = a.lease();
                metrics = services.metrics().of(name.value(), lease.backend());
                metrics.inFlight(1);
                Duration timeout = services.dispatcher().timeout(name).orElse(Duration.ofSeconds(30));
                exchange.opened(lease.endpoint(), lease.instanceId(), timeout.toMillis());
            }
            case Acquisition.NotFound n ->
                    exchange.rejected(404, "function_not_found", "Function '" + n.name() + "' is not deployed");
            case Acquisition.Saturated s -> {
                record(false, 429, "-", "-");
                exchange.rejected(429, "saturated", s.message());
            }
            case Acquisition.StartFailed f -> {
                record(true, 502, backend(), "-");
                exchange.rejected(502, "start_failed", f.message());
            }
            case Acquisition.TimedOut t -> {
                record(false, 504, backend(), "-");
                exchange.rejected(504, "timeout", t.message());
            }
        }
    }

    private String backend() {
        return services.dispatcher().backend(name).orElse("-");
    }

    @Override
    public void decorate(HttpHeaders headers) {
        headers.set(INSTANCE_HEADER, lease.instanceId());
        headers.set(COLD_START_HEADER, lease.coldStart() ? TRUE : FALSE);
    }

    @Override
    public void finish(int status, boolean healthy) {
        lease.release(healthy);
        metrics.inFlight(-1);
        record(lease.coldStart(), status, lease.backend(), lease.instanceId());
    }

    @Override
    public boolean fresh() {
        return lease.coldStart();
    }

    @Override
    public boolean alive() {
        return lease.instanceAlive();
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
        long took = ticker.nanos() - beginNanos;
        (metrics != null ? metrics : services.metrics().of(name.value(), backend)).invoked(cold, status, took);
        services.store().record(new InvocationRecord(name, started, TimeUnit.NANOSECONDS.toMicros(took), cold, status,
                backend, instance));
    }
}
