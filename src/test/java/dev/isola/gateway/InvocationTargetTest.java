package dev.isola.gateway;

import dev.isola.dispatch.Acquisition;
import dev.isola.dispatch.Dispatcher;
import dev.isola.dispatch.EndpointProbe;
import dev.isola.dispatch.InstancePage;
import dev.isola.dispatch.InstanceView;
import dev.isola.dispatch.Lease;
import dev.isola.dispatch.Readiness;
import dev.isola.async.AsyncCalls;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.TrafficShare;
import dev.isola.metrics.Metrics;
import dev.isola.store.InvocationRecord;
import dev.isola.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.lang.reflect.Proxy;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The edge's side of the dispatcher seam, against a stub dispatcher: each outcome becomes its status and error body,
 * a lease is proxied with the platform's headers and released once, and every answered call is recorded.
 */
class InvocationTargetTest {
    private static final FunctionName HELLO = FunctionName.of("hello");
    private static final String GET = "GET /function/hello/x HTTP/1.1\r\nHost: edge\r\n\r\n";

    private final List<InvocationRecord> recorded = new CopyOnWriteArrayList<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final StubDispatcher dispatcher = new StubDispatcher();

    private EmbeddedEdge edge() {
        return new EmbeddedEdge(edge -> new EdgeRouter(new InvocationTarget.Services(dispatcher, Metrics.NOOP,
                recorded::add, (name, line) -> failures.add(name + " " + line), edge.ticker(),
                InstantSource.system()), NO_ASYNC, new Readiness(), () -> false,
                1 << 20)::route);
    }

    /** These tests make synchronous calls only. */
    private static final AsyncCalls NO_ASYNC = (AsyncCalls) Proxy.newProxyInstance(AsyncCalls.class.getClassLoader(),
            new Class<?>[] {AsyncCalls.class}, (proxy, method, args) -> {
                throw new AssertionError("no asynchronous call is expected here: " + method.getName());
            });

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of(new Acquisition.NotFound(HELLO), 404, "function_not_found", false, true, false),
                Arguments.of(new Acquisition.Saturated("fn=hello: all busy"), 429, "saturated", true, true, false),
                Arguments.of(new Acquisition.StartFailed("fn=hello: boom", "runc"), 502, "start_failed", true, true,
                        true),
                Arguments.of(new Acquisition.TimedOut("fn=hello: slow", "runc"), 504, "timeout", true, true, true),
                // A stopping server: the client should go elsewhere, so its connection is not kept.
                Arguments.of(new Acquisition.Unavailable("shutting down"), 503, "unavailable", false, false, false));
    }

    /**
     * Every refusal carries a request id, in the body and in X-Request-Id; the platform's failures (not a caller's
     * mistake or a full node) are noted in the function's log under that id.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("refusals")
    void anOutcomeWithoutALease_isItsStatusAndCode(Acquisition outcome, int status, String code,
                                                   boolean recordedCall, boolean keepsConnection, boolean logged) {
        dispatcher.outcome = outcome;
        try (EmbeddedEdge edge = edge()) {
            edge.send(GET);

            assertThat(edge.received()).startsWith("HTTP/1.1 " + status).contains("\"error\":\"" + code + "\"");
            assertThat(edge.clientOpen()).isEqualTo(keepsConnection);
            assertThat(recorded).hasSize(recordedCall ? 1 : 0);
            recorded.forEach(r -> assertThat(r.status()).isEqualTo(status));
            Matcher id = Pattern.compile("X-Request-Id: ([0-9a-f]{16})\r\n").matcher(edge.received());
            assertThat(id.find()).as("an X-Request-Id header").isTrue();
            assertThat(edge.received()).contains("\"requestId\":\"" + id.group(1) + "\"");
            if (logged) {
                assertThat(failures).containsExactly("hello request " + id.group(1) + ": " + status + " " + code
                        + ": " + message(outcome));
            } else {
                assertThat(failures).isEmpty();
            }
        }
    }

    /**
     * A pipelined request whose body had not all come when its turn came: the edge reads on, or the connection
     * stalled for ever with every client deadline off (reading paused) and the request never answered.
     */
    @Test
    void aPipelinedRequest_whoseBodyIsStillComing_isReadOn_andAnswered() {
        dispatcher.outcome = new Acquisition.Acquired(new StubLease());
        try (EmbeddedEdge edge = edge()) {
            edge.send(GET + "POST /nowhere HTTP/1.1\r\nHost: edge\r\nContent-Length: 10\r\n\r\nhello");
            edge.instance().answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");

            assertThat(edge.received()).startsWith("HTTP/1.1 200").doesNotContain("404");
            assertThat(edge.readingClient()).as("the rest of the pipelined body may come").isTrue();
            edge.send("world");
            assertThat(edge.received()).contains("HTTP/1.1 404");
            assertThat(edge.clientOpen()).isTrue();
        }
    }

    /**
     * A transfer coding the edge does not decode is refused: passed on as plain chunks, the instance would take a
     * gzip-coded body for the body itself.
     */
    @Test
    void aTransferCodingOtherThanChunked_isRefused_andNothingReachesTheInstance() {
        dispatcher.outcome = new Acquisition.Acquired(new StubLease());
        try (EmbeddedEdge edge = edge()) {
            // Netty refuses a final coding other than chunked itself; this one it decodes as plain chunks.
            edge.send("POST /function/hello HTTP/1.1\r\nHost: edge\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\n\r\n");

            assertThat(edge.received()).startsWith("HTTP/1.1 400").contains("bad_request", "only chunked");
            assertThat(edge.connections()).isEmpty();
            assertThat(edge.clientOpen()).isFalse();
        }
    }

    private static String message(Acquisition outcome) {
        return switch (outcome) {
            case Acquisition.StartFailed f -> f.message();
            case Acquisition.TimedOut t -> t.message();
            default -> throw new IllegalArgumentException(outcome.toString());
        };
    }

    @Test
    void aPendingOutcome_isAwaitedOffTheLoop_andAnsweredOnIt() {
        dispatcher.outcome = new Acquisition.Pending(() -> new Acquisition.StartFailed("fn=hello: boom", "runc"));
        try (EmbeddedEdge edge = edge()) {
            edge.send(GET);
            Await.until(Duration.ofSeconds(5), () -> {
                edge.settle();
                return edge.received().startsWith("HTTP/1.1 502");
            }, "the start's failure to be answered");

            assertThat(edge.received()).contains("\"error\":\"start_failed\"");
        }
    }

    /** A client that hangs up while its call waits gives up its place in the queue at once, not at the timeout. */
    @Test
    void aClientHangingUpWhileItsCallWaits_abandonsTheWait() throws Exception {
        CountDownLatch abandoned = new CountDownLatch(1);
        dispatcher.outcome = new Acquisition.Pending(() -> {
            try {
                abandoned.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Acquisition.Unavailable("the caller went away");
        }, abandoned::countDown);
        try (EmbeddedEdge edge = edge()) {
            edge.send(GET);
            assertThat(abandoned.getCount()).isEqualTo(1);

            edge.clientHangsUp();

            assertThat(abandoned.await(5, TimeUnit.SECONDS)).as("the wait abandoned").isTrue();
        }
    }

    @Test
    void aLease_isProxiedWithThePlatformsHeaders_releasedOnce_andRecorded() {
        StubLease lease = new StubLease();
        dispatcher.outcome = new Acquisition.Acquired(lease);
        try (EmbeddedEdge edge = edge()) {
            edge.send(GET);
            edge.instance().answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");

            assertThat(edge.instance().received()).startsWith("GET /x HTTP/1.1");
            assertThat(edge.received()).startsWith("HTTP/1.1 200").contains("X-Isola-Instance: " + EmbeddedEdge.KEY)
                    .contains("X-Isola-Cold-Start: true").endsWith("hi");
            assertThat(lease.released).containsExactly(true);
            assertThat(recorded).singleElement().satisfies(r -> {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.coldStart()).isTrue();
                assertThat(r.instanceId()).isEqualTo(EmbeddedEdge.KEY);
            });
            assertThat(dispatcher.probes).as("a start for the call is probed from its own loop").hasSize(1);
        }
    }

    @Test
    void aWarmInstanceThatTakesNoConnection_isReleasedUnhealthy_andTheCallGoesToAnother() {
        StubLease deaf = new StubLease(false);
        StubLease other = new StubLease(false);
        dispatcher.queued.add(new Acquisition.Acquired(deaf));
        dispatcher.queued.add(new Acquisition.Acquired(other));
        try (EmbeddedEdge edge = edge()) {
            edge.connect = EmbeddedEdge.Connect.REFUSE;
            dispatcher.onAcquire = () -> edge.connect = dispatcher.probes.size() == 1 ? EmbeddedEdge.Connect.REFUSE
                    : EmbeddedEdge.Connect.ACCEPT;
            edge.send(GET);
            edge.instance().answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");

            assertThat(edge.received()).startsWith("HTTP/1.1 200").endsWith("hi");
            assertThat(deaf.released).as("replaced").containsExactly(false);
            assertThat(other.released).containsExactly(true);
            assertThat(recorded).as("one call, recorded once").singleElement()
                    .satisfies(r -> assertThat(r.status()).isEqualTo(200));
        }
    }

    /**
     * Thousands of clients at once fill a running instance's accept queue: a connection it does not accept in time
     * while it answers others means busy, not broken, and replacing it under that load would only add a cold start
     * (measured: hey at 2,048 clients through the gateway had Node.js instances replaced over and over).
     */
    @Test
    void aBusyInstanceThatAcceptsNoConnectionInTime_isKept_andTheCallGoesOn() {
        StubLease busy = new StubLease(false);
        busy.servingOthers = true;
        StubLease again = new StubLease(false);
        dispatcher.queued.add(new Acquisition.Acquired(busy));
        dispatcher.queued.add(new Acquisition.Acquired(again));
        try (EmbeddedEdge edge = edge()) {
            edge.connect = EmbeddedEdge.Connect.TIME_OUT;
            dispatcher.onAcquire = () -> edge.connect = dispatcher.probes.size() == 1 ? EmbeddedEdge.Connect.TIME_OUT
                    : EmbeddedEdge.Connect.ACCEPT;
            edge.send(GET);
            edge.instance().answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");

            assertThat(edge.received()).startsWith("HTTP/1.1 200").endsWith("hi");
            assertThat(busy.released).as("kept: busy, not broken").containsExactly(true);
            assertThat(again.released).containsExactly(true);
        }
    }

    @Test
    void aBusyInstanceThatTimesOutTwice_is502_butKept() {
        StubLease busy = new StubLease(false);
        busy.servingOthers = true;
        StubLease again = new StubLease(false);
        again.servingOthers = true;
        dispatcher.queued.add(new Acquisition.Acquired(busy));
        dispatcher.queued.add(new Acquisition.Acquired(again));
        try (EmbeddedEdge edge = edge()) {
            edge.connect = EmbeddedEdge.Connect.TIME_OUT;
            edge.send(GET);
            Await.until(Duration.ofSeconds(5), () -> {
                edge.settle();
                return edge.received().startsWith("HTTP/1.1 502");
            }, "the second timeout to be answered");

            assertThat(edge.received()).contains("no connection within");
            assertThat(busy.released).containsExactly(true);
            assertThat(again.released).as("a 502, but the instance stays").containsExactly(true);
        }
    }

    /**
     * A guest under TCG given a thousand clients resets connections it has read requests from: while it runs and
     * answers others, the caller gets a 502 and the instance stays (replacing it added a boot to the overload). An
     * idle instance, or one whose sandbox exited, that ends a connection with no answer is replaced.
     */
    @ParameterizedTest(name = "alive {0}, serving others {1} -> kept {2}")
    @MethodSource("connectionsEndedWithTheRequestIn")
    void anInstanceThatEndsTheConnectionWithTheRequestIn_isKeptOnlyIfItRunsAndServesOthers(
            boolean alive, boolean servingOthers, boolean kept) {
        StubLease lease = new StubLease(false);
        lease.alive = alive;
        lease.servingOthers = servingOthers;
        dispatcher.outcome = new Acquisition.Acquired(lease);
        try (EmbeddedEdge edge = edge()) {
            edge.send(GET);
            assertThat(edge.instance().received()).startsWith("GET /x HTTP/1.1");
            edge.instance().hangUp();
            Await.until(Duration.ofSeconds(5), () -> {
                edge.settle();
                return edge.received().startsWith("HTTP/1.1 502");
            }, "the 502");

            assertThat(edge.received()).contains("\"error\":\"instance_failed\"", "it closed the connection");
            assertThat(lease.released).containsExactly(kept);
        }
    }

    static Stream<Arguments> connectionsEndedWithTheRequestIn() {
        return Stream.of(Arguments.of(true, true, true), Arguments.of(true, false, false),
                Arguments.of(false, true, false));
    }

    /** A CONNECT answered 2xx made the pooled connection a tunnel for the next call lent it: never proxied. */
    @Test
    void aConnect_isRefused_andReachesNoInstance() {
        try (EmbeddedEdge edge = edge()) {
            edge.send("CONNECT /function/hello HTTP/1.1\r\nHost: edge\r\n\r\n");

            assertThat(edge.received()).startsWith("HTTP/1.1 405 ").contains("\"error\":\"method_not_allowed\"");
            assertThat(dispatcher.probes).as("no call reached the dispatcher").isEmpty();
            assertThat(edge.connections()).isEmpty();
        }
    }

    @Test
    void anInstanceStartedForTheCall_thatRefusesForASecond_is502_withoutAnotherStart() {
        StubLease fresh = new StubLease(true);
        dispatcher.outcome = new Acquisition.Acquired(fresh);
        try (EmbeddedEdge edge = edge()) {
            edge.connect = EmbeddedEdge.Connect.REFUSE;
            edge.send(GET);
            for (int i = 0; i < 100; i++) {
                edge.advance(10);
            }
            // Why it failed is found off the loop (it may wait for the sandbox to be reaped), then answered on it.
            Await.until(Duration.ofSeconds(5), () -> {
                edge.settle();
                return edge.received().startsWith("HTTP/1.1 502");
            }, "the refusal to be answered");

            assertThat(edge.received()).contains("connection refused");
            assertThat(fresh.released).containsExactly(false);
            assertThat(dispatcher.probes).as("acquired once").hasSize(1);
        }
    }

    /**
     * Answers each call with the next of {@link #queued}, then with {@link #outcome}; remembers the probe each call
     * passed, and runs {@link #onAcquire} once it has.
     */
    private static final class StubDispatcher implements Dispatcher {
        Acquisition outcome;
        final Deque<Acquisition> queued = new ArrayDeque<>();
        final List<EndpointProbe> probes = new ArrayList<>();
        Runnable onAcquire = () -> { };

        @Override
        public Acquisition acquire(FunctionName name, EndpointProbe probe) {
            assertThat(name).isEqualTo(HELLO);
            probes.add(probe);
            onAcquire.run();
            return queued.isEmpty() ? outcome : queued.poll();
        }

        @Override
        public void split(List<TrafficShare> shares) {
        }

        @Override
        public void cutDrainShort() {
        }

        @Override
        public boolean remove(FunctionName name) {
            return false;
        }

        @Override
        public Optional<String> backend(FunctionName name) {
            return Optional.of("fake");
        }

        @Override
        public Optional<DeployedFunction> serving(FunctionName name) {
            return Optional.empty();
        }

        @Override
        public List<InstanceView> instances() {
            return List.of();
        }

        @Override
        public InstancePage page(Optional<FunctionName> function, String after, int limit) {
            return new InstancePage(List.of(), false);
        }

        @Override
        public List<InstanceView> instances(FunctionName name) {
            return List.of();
        }

        @Override
        public int instanceCount(FunctionName name) {
            return 0;
        }

        @Override
        public void maintain() {
        }

        @Override
        public void close() {
        }
    }

    /** An instance at the embedded edge's instance address, cold-started for the call unless told otherwise. */
    private static final class StubLease implements Lease {
        final List<Boolean> released = new CopyOnWriteArrayList<>();
        private final boolean cold;
        /** Other requests in flight on the instance. */
        volatile boolean servingOthers;
        /** Whether its sandbox still runs. */
        volatile boolean alive = true;

        StubLease() {
            this(true);
        }

        StubLease(boolean cold) {
            this.cold = cold;
        }

        @Override
        public InetSocketAddress endpoint() {
            return EmbeddedEdge.ENDPOINT;
        }

        @Override
        public String instanceId() {
            return EmbeddedEdge.KEY;
        }

        @Override
        public String version() {
            return "1";
        }

        @Override
        public String backend() {
            return "fake";
        }

        @Override
        public Duration timeout() {
            return Duration.ofSeconds(30);
        }

        @Override
        public boolean coldStart() {
            return cold;
        }

        @Override
        public long startNanos() {
            return 1;
        }

        @Override
        public boolean instanceAlive() {
            return alive;
        }

        @Override
        public boolean servingOthers() {
            return servingOthers;
        }

        @Override
        public Optional<String> exitReason() {
            return Optional.empty();
        }

        @Override
        public void release(boolean healthy) {
            released.add(healthy);
        }
    }
}
