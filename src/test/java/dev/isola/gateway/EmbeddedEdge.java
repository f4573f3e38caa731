package dev.isola.gateway;

import dev.isola.api.ErrorCode;
import dev.isola.Ticker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.util.concurrent.MockTicker;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The edge's proxy with everything around it faked, for unit tests of {@link ProxyExchange}: the client connection
 * and every connection to the instance are Netty {@link EmbeddedChannel}s (the client's with the edge's codecs, the
 * instance's with {@link UpstreamPool}'s), {@link ProxyTarget} is {@link FakeTarget}, and one fake clock drives the
 * exchange, the connection's watchdog, the pool's idle ages and the channels' timers. Nothing runs on another thread
 * and nothing sleeps: {@link #advance} moves the clock and runs what came due.
 *
 * <p>Every buffer a test writes into a channel is checked on {@link #close}: all of it must have been released.
 */
final class EmbeddedEdge implements AutoCloseable {
    static final InetSocketAddress ENDPOINT = new InetSocketAddress("10.200.0.7", 8080);
    static final String KEY = "hello-1";

    /** What a connection attempt to the instance does. */
    enum Connect { ACCEPT, REFUSE, TIME_OUT, NO_ADDRESS, HOLD }

    private final MockTicker clock = io.netty.util.concurrent.Ticker.newMockTicker();
    private final Ticker ticker = clock::nanoTime;
    private final EmbeddedChannel client;
    private final UpstreamPool pool;
    private final FrontHandler front;
    private final List<Instance> connections = new ArrayList<>();
    private final List<FakeTarget> targets = new ArrayList<>();
    private final List<ByteBuf> written = new ArrayList<>();
    private final StringBuilder clientReceived = new StringBuilder();

    /** Settings for the targets of the exchanges to come. */
    long maxBodyBytes = 1 << 20;
    long timeoutMillis;
    boolean openAtOnce = true;
    boolean fresh;
    Connect connect = Connect.ACCEPT;
    /**
     * What connecting does once a target sent its call to another instance after no connection could be made;
     * {@code null}: targets do not do that.
     */
    Connect elsewhere;

    /** An edge whose every request is an exchange with a {@link FakeTarget}, with the server's client limits. */
    EmbeddedEdge() {
        this(ClientLimits.defaults());
    }

    /** An edge whose requests go where {@code routers} sends them (the real router with a stub dispatcher, say). */
    EmbeddedEdge(Function<EmbeddedEdge, FrontHandler.Router> routers) {
        this(routers, ClientLimits.defaults());
    }

    /** An edge with its own limits on the client, whose every request is an exchange with a {@link FakeTarget}. */
    EmbeddedEdge(ClientLimits limits) {
        this(edge -> (front, request) -> {
            FakeTarget target = new FakeTarget(edge);
            edge.targets.add(target);
            return new ProxyExchange(front, request, request.uri(), target, edge.maxBodyBytes, Runnable::run);
        }, limits);
    }

    EmbeddedEdge(Function<EmbeddedEdge, FrontHandler.Router> routers, ClientLimits limits) {
        clock.advance(1, TimeUnit.HOURS); // nanoTime's origin is arbitrary: do not let the code count on zero
        client = EmbeddedChannel.builder().ticker(clock).build();
        pool = new UpstreamPool(client.eventLoop(), this::connect, this::connect, ticker);
        front = new FrontHandler(routers.apply(this), pool, ticker, limits);
        // As Gateway.start builds a client connection.
        client.pipeline().addLast(new HttpServerCodec(new HttpDecoderConfig()
                        .setMaxInitialLineLength(8192).setMaxHeaderSize(16 * 1024).setMaxChunkSize(64 * 1024)),
                new HttpServerExpectContinueHandler(), front);
    }

    /** The one fake clock, as the platform's ticker. */
    Ticker ticker() {
        return ticker;
    }

    // --- the client ----------------------------------------------------------------------------------------------

    /** Bytes from the client, as they would come off its socket. */
    EmbeddedEdge send(String bytes) {
        client.writeInbound(buffer(bytes));
        settle();
        return this;
    }

    /** Everything the client has received so far. */
    String received() {
        for (ByteBuf b; (b = client.readOutbound()) != null; ) {
            clientReceived.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return clientReceived.toString();
    }

    /** Where the client connection is between its requests. */
    ClientPhase clientPhase() {
        return front.phase();
    }

    boolean clientOpen() {
        return client.isOpen();
    }

    /** Whether the edge reads the client's socket (it stops while the other side cannot take more). */
    boolean readingClient() {
        return client.config().isAutoRead();
    }

    void clientHangsUp() {
        client.close();
        settle();
    }

    // --- the instance and the platform ---------------------------------------------------------------------------

    FakeTarget target() {
        return targets.getLast();
    }

    /** The state of the last exchange. */
    ProxyState state() {
        return target().exchange.state();
    }

    List<FakeTarget> targets() {
        return targets;
    }

    /** The connection to the instance made last. */
    Instance instance() {
        return connections.getLast();
    }

    List<Instance> connections() {
        return connections;
    }

    UpstreamPool pool() {
        return pool;
    }

    /** A keep-alive connection an earlier exchange left in the pool. */
    Instance pooledConnection() {
        Instance idle = new Instance(this);
        connections.add(idle);
        pool.giveBack(KEY, idle.channel);
        return idle;
    }

    /** Moves the one clock and runs the timers that came due. */
    void advance(long millis) {
        clock.advance(millis, TimeUnit.MILLISECONDS);
        settle();
    }

    private ChannelFuture connect(InetSocketAddress endpoint) {
        assertThat(endpoint).isEqualTo(ENDPOINT);
        Instance instance = new Instance(this);
        connections.add(instance);
        // A connection is made, or not, on a later turn of the loop, as a socket's is.
        switch (connect) {
            case ACCEPT -> client.eventLoop().execute(instance::connected);
            case REFUSE -> client.eventLoop().execute(() -> instance.failed(new ConnectException(
                    "Connection refused: " + endpoint)));
            case TIME_OUT -> client.eventLoop().execute(() -> instance.failed(new ConnectTimeoutException(
                    "connection timed out: " + endpoint)));
            // As Netty's native transport reports every failed connect, whatever the error.
            case NO_ADDRESS -> client.eventLoop().execute(() -> instance.failed(new ConnectException(
                    "finishConnect(..) failed: Cannot assign requested address: " + endpoint)));
            case HOLD -> {
            }
        }
        return instance.connecting;
    }

    private ByteBuf buffer(String bytes) {
        ByteBuf b = Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1);
        written.add(b);
        return b;
    }

    /** Runs what the loop has queued (a pipelined request's turn, a failure's answer) and the timers due. */
    void settle() {
        for (int turns = 0; turns == 0 || client.hasPendingTasks(); turns++) {
            assertThat(turns).as("tasks that keep queueing more").isLessThan(1_000);
            client.runPendingTasks();
            client.checkException();
        }
    }

    /** Closes everything and checks that every buffer the test wrote was released. */
    @Override
    public void close() {
        received();
        client.finishAndReleaseAll();
        connections.forEach(c -> c.channel.finishAndReleaseAll());
        assertThat(written).as("buffers the edge never released").allMatch(b -> b.refCnt() == 0);
    }

    /** One connection to the instance, seen from the instance's side. */
    static final class Instance {
        private final EmbeddedEdge edge;
        final EmbeddedChannel channel;
        final ChannelPromise connecting;
        private final StringBuilder received = new StringBuilder();

        Instance(EmbeddedEdge edge) {
            this.edge = edge;
            this.channel = EmbeddedChannel.builder().ticker(edge.clock).build();
            UpstreamPool.addUpstreamHandlers(channel.pipeline());
            this.connecting = channel.newPromise();
        }

        /** The instance accepts a held connection attempt. */
        void accept() {
            connected();
            edge.settle();
        }

        private void connected() {
            connecting.setSuccess();
        }

        private void failed(Throwable cause) {
            channel.close(); // as Netty closes a socket that did not connect
            connecting.setFailure(cause);
        }

        /** Everything the edge has sent on this connection. */
        String received() {
            for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
                received.append(b.toString(StandardCharsets.ISO_8859_1));
                b.release();
            }
            return received.toString();
        }

        /** Bytes from the instance. */
        Instance answer(String bytes) {
            return deliver(edge.buffer(bytes));
        }

        /** A message as the instance's codec would decode it: to split what the codec hands on together. */
        Instance deliver(Object decoded) {
            channel.writeInbound(decoded);
            channel.checkException();
            edge.settle();
            return this;
        }

        /** The instance closes the connection (it exited, or closed an idle keep-alive connection). */
        void hangUp() {
            channel.close();
            channel.checkException();
            edge.settle();
        }

        boolean open() {
            return channel.isOpen();
        }
    }

    /** The platform's side of an exchange, recorded: what a test's {@link ProxyTarget} was asked and told. */
    static final class FakeTarget implements ProxyTarget {
        private final EmbeddedEdge edge;
        private final long timeoutMillis;
        private final boolean openAtOnce;
        boolean fresh;
        boolean alive = true;
        /** How long the call waited for an instance started for it: not counted against the timeout. */
        long coldStartNanos;
        ProxyExchange exchange;
        /** Every {@link #finish} and {@link #retryElsewhere}: "200 healthy", "502 unhealthy", "elsewhere: why". */
        final List<String> finished = new ArrayList<>();

        FakeTarget(EmbeddedEdge edge) {
            this.edge = edge;
            this.timeoutMillis = edge.timeoutMillis;
            this.openAtOnce = edge.openAtOnce;
            this.fresh = edge.fresh;
        }

        @Override
        public void open(ProxyExchange opening) {
            this.exchange = opening;
            if (openAtOnce) {
                exchange.opened(ENDPOINT, KEY, timeoutMillis);
            }
        }

        /** The lease arrives (for a target that does not open at once). */
        void opened() {
            exchange.opened(ENDPOINT, KEY, timeoutMillis, coldStartNanos);
            edge.settle();
        }

        void rejected(ErrorCode code, String message) {
            exchange.rejected(code, message);
            edge.settle();
        }

        @Override
        public void decorate(HttpHeaders headers) {
            headers.set(InvocationTarget.INSTANCE_HEADER, KEY);
        }

        @Override
        public void finish(int status, boolean healthy) {
            finished.add(status + (healthy ? " healthy" : " unhealthy"));
        }

        /**
         * As the real target: once, never from an instance started for the call, and here only if the edge says what
         * connecting does then ({@link EmbeddedEdge#elsewhere}).
         */
        @Override
        public boolean retryElsewhere(String cause) {
            if (fresh || edge.elsewhere == null || finished.stream().anyMatch(f -> f.startsWith("elsewhere"))) {
                return false;
            }
            finished.add("elsewhere: " + cause);
            edge.connect = edge.elsewhere;
            fresh = false;
            return true;
        }

        @Override
        public boolean fresh() {
            return fresh;
        }

        @Override
        public boolean alive() {
            return alive;
        }

        @Override
        public String label() {
            return "fn=hello inst=" + KEY;
        }

        @Override
        public String describeFailure(String cause) {
            return label() + ": the function failed to answer (" + cause + ")";
        }
    }
}
