package dev.isola.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;

/**
 * {@link Metrics} in the Prometheus client library, exported in the text format at {@code /metrics}. Names follow
 * Prometheus conventions (base units, {@code _total} counters) and OpenWhisk's split of cold and warm.
 *
 * <p>Every series is built {@code withoutExemplars()}: with no tracer an exemplar holds nothing, and sampling them
 * (the in-flight gauge had not been told) kept the library's timer thread waking about 30 times a second under load,
 * each wake-up a chance to take the core a call's next hop was woken onto.
 */
public final class PrometheusMetrics implements Metrics {
    /** Cold starts span 1 ms (process) to 10 s (microVM under emulation). */
    private static final double[] COLD_START_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
        5, 10, 30};
    private static final double[] INVOCATION_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
        0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter invocations;
    private final Counter coldStarts;
    private final Histogram coldStartSeconds;
    private final Histogram invocationSeconds;
    private final Gauge inFlight;
    private final CounterDataPoint connectionsRefused;
    private final Counter asyncAttempts;
    private final Counter asyncCalls;
    private final PrometheusTextFormatWriter writer = new PrometheusTextFormatWriter(false);
    private final Map<String, Map<String, Series>> seriesByFunction = new ConcurrentHashMap<>();

    public PrometheusMetrics() {
        invocations = Counter.builder().name("isola_invocations_total")
                .help("Invocations answered, by function, backend, cold/warm and HTTP status")
                .labelNames("function", "backend", "cold_start", "status").withoutExemplars().register(registry);
        coldStarts = Counter.builder().name("isola_cold_starts_total")
                .help("Instances started and ready").labelNames("function", "backend").withoutExemplars()
                .register(registry);
        coldStartSeconds = Histogram.builder().name("isola_cold_start_seconds")
                .help("Time from launch to ready of new instances").classicOnly()
                .classicUpperBounds(COLD_START_BUCKETS).labelNames("function", "backend", "start").withoutExemplars()
                .register(registry);
        invocationSeconds = Histogram.builder().name("isola_invocation_duration_seconds")
                .help("Time from request arrival to the end of the response, including any cold start").classicOnly()
                .classicUpperBounds(INVOCATION_BUCKETS).labelNames("function", "backend", "cold_start")
                .withoutExemplars().register(registry);
        inFlight = Gauge.builder().name("isola_in_flight_requests")
                .help("Requests being served by instances").labelNames("function", "backend").withoutExemplars()
                .register(registry);
        connectionsRefused = Counter.builder().name("isola_client_connections_refused_total")
                .help("Client connections answered 503 and closed because maxClientConnections were open")
                .withoutExemplars().register(registry).labelValues();
        asyncAttempts = Counter.builder().name("isola_async_attempts_total")
                .help("Attempts of asynchronous calls begun, by function (retries included)").labelNames("function")
                .withoutExemplars().register(registry);
        asyncCalls = Counter.builder().name("isola_async_calls_total")
                .help("Asynchronous calls ended, by function and outcome (succeeded, failed)")
                .labelNames("function", "state").withoutExemplars().register(registry);
    }

    @Override
    public void watchAsyncQueues(Supplier<List<AsyncQueue>> queues) {
        GaugeWithCallback.builder().name("isola_async_queued_calls")
                .help("Asynchronous calls waiting to run (first attempt or retry), by function").labelNames("function")
                .callback(cb -> queues.get().forEach(q -> cb.call(q.queued(), q.function()))).register(registry);
        GaugeWithCallback.builder().name("isola_async_oldest_queued_seconds")
                .help("How long the oldest waiting asynchronous call of each function has waited since it was accepted")
                .labelNames("function")
                .callback(cb -> queues.get().forEach(q -> cb.call(q.oldestAgeSeconds(), q.function())))
                .register(registry);
    }

    @Override
    public void watchNodeBudget(Supplier<Budget> budget) {
        GaugeWithCallback.builder().name("isola_node_budget_instances")
                .help("Live instances held against the node's budget (used), and its bound (max: nodeMaxInstances)")
                .labelNames("kind").callback(cb -> {
                    Budget b = budget.get();
                    cb.call(b.instances(), "used");
                    cb.call(b.maxInstances(), "max");
                }).register(registry);
        GaugeWithCallback.builder().name("isola_node_budget_memory_bytes")
                .help("The instances' memory limits held against the node's budget (used), and its bound (max: "
                        + "nodeMemory)")
                .labelNames("kind").callback(cb -> {
                    Budget b = budget.get();
                    cb.call(b.memoryBytes(), "used");
                    cb.call(b.maxMemoryBytes(), "max");
                }).register(registry);
    }

    @Override
    public void asyncAttempted(String function) {
        asyncAttempts.labelValues(function).inc();
    }

    @Override
    public void asyncFinished(String function, String state) {
        asyncCalls.labelValues(function, state).inc();
    }

    @Override
    public void watchInstances(Supplier<List<InstanceGroup>> census) {
        GaugeWithCallback.builder().name("isola_instances").help("Instances by state")
                .labelNames("function", "backend", "state")
                .callback(cb -> census.get().forEach(g -> cb.call(g.instances(), g.function(), g.backend(), g.state())))
                .register(registry);
    }

    /** Exports {@code waiting}, the starts held back while the CPU is saturated, as {@code isola_starts_waiting}. */
    @Override
    public void watchStartsWaiting(IntSupplier waiting) {
        GaugeWithCallback.builder().name("isola_starts_waiting")
                .help("Instance starts waiting for their turn while the CPU is saturated")
                .callback(cb -> cb.call(waiting.getAsInt())).register(registry);
    }

    /** Exports {@code restores} as {@code isola_firewall_restored_total}: each one means the host lost isolation. */
    @Override
    public void watchFirewallRestores(LongSupplier restores) {
        CounterWithCallback.builder().name("isola_firewall_restored_total")
                .help("Times the firewall (nftables tables inet/bridge isola) was found missing or altered and restored")
                .callback(cb -> cb.call(restores.getAsLong())).register(registry);
    }

    /** Exports {@code dropped} as {@code isola_invocation_records_dropped_total}: calls missing from the records. */
    @Override
    public void watchDroppedInvocationRecords(LongSupplier dropped) {
        CounterWithCallback.builder().name("isola_invocation_records_dropped_total")
                .help("Invocation records not kept: the store's queue was full or a write failed")
                .callback(cb -> cb.call(dropped.getAsLong())).register(registry);
    }

    @Override
    public void clientConnectionRefused() {
        connectionsRefused.inc();
    }

    /** Exports {@code open}, the edge's client connections, as {@code isola_client_connections}. */
    @Override
    public void watchClientConnections(IntSupplier open) {
        GaugeWithCallback.builder().name("isola_client_connections")
                .help("Client connections the edge has open (at most maxClientConnections)")
                .callback(cb -> cb.call(open.getAsInt())).register(registry);
    }

    @Override
    public FunctionMetrics of(String function, String backend) {
        Map<String, Series> byBackend = seriesByFunction.get(function);
        Series series = byBackend == null ? null : byBackend.get(backend);
        return series != null ? series : seriesByFunction.computeIfAbsent(function, f -> new ConcurrentHashMap<>())
                .computeIfAbsent(backend, b -> new Series(function, b));
    }

    /** The data points of one function on one backend. */
    private final class Series implements FunctionMetrics {
        final String function;
        final String backend;
        final GaugeDataPoint gauge;
        final DistributionDataPoint coldSeconds;
        final DistributionDataPoint warmSeconds;
        /** Counters by status (three digits, RFC 9110), made on first use: no boxing or hashing per call. */
        final AtomicReferenceArray<CounterDataPoint> coldByStatus = new AtomicReferenceArray<>(1000);
        final AtomicReferenceArray<CounterDataPoint> warmByStatus = new AtomicReferenceArray<>(1000);

        Series(String function, String backend) {
            this.function = function;
            this.backend = backend;
            this.gauge = inFlight.labelValues(function, backend);
            this.coldSeconds = invocationSeconds.labelValues(function, backend, "true");
            this.warmSeconds = invocationSeconds.labelValues(function, backend, "false");
        }

        @Override
        public void invoked(boolean cold, int status, long durationNanos) {
            AtomicReferenceArray<CounterDataPoint> byStatus = cold ? coldByStatus : warmByStatus;
            int code = Math.clamp(status, 0, byStatus.length() - 1);
            CounterDataPoint counter = byStatus.get(code);
            if (counter == null) { // labelValues returns the one data point of these labels, so a race is harmless
                counter = invocations.labelValues(function, backend, cold ? "true" : "false", Integer.toString(code));
                byStatus.set(code, counter);
            }
            counter.inc();
            (cold ? coldSeconds : warmSeconds).observe(durationNanos / 1e9);
        }

        @Override
        public void inFlight(int delta) {
            gauge.inc(delta);
        }
    }

    @Override
    public void coldStarted(String function, String backend, String start, long nanos) {
        coldStarts.labelValues(function, backend).inc();
        coldStartSeconds.labelValues(function, backend, start).observe(nanos / 1e9);
    }

    public String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }
}
