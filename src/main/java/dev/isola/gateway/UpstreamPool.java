package dev.isola.gateway;

import dev.isola.Ticker;
import dev.isola.dispatch.EndpointProbe;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.AsciiString;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ExecutionException;

/**
 * Keep-alive connections to instances, owned by one event loop and only ever touched from it (no locks): a request
 * borrows a connection made by the loop that serves its client, so the whole exchange stays on one thread.
 *
 * <p>LIFO per instance, so the most recently used (warmest) connection is reused and the others age out. A connection
 * idle longer than {@link #MAX_IDLE_NANOS} is closed instead of reused: Node.js closes idle keep-alive connections
 * after 5 s, and reusing one the function is closing makes the request fail. A sweep every
 * {@value #SWEEP_MILLIS} ms closes such connections also when no request comes to take them.
 *
 * <p>Every connection that comes back is kept, however many: their number is bounded by the calls one instance
 * serves at once (the function's {@code concurrency}, at most 10,000), and the sweep closes them once the load is
 * gone. A cap on idle connections (there was one, of 256) turns a load above it into a new connection per call,
 * each closed by the gateway and left in TIME_WAIT: at 4,096 clients on one instance the host's ephemeral ports to
 * that address ran out ("Cannot assign requested address").
 */
final class UpstreamPool {
    static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(4);
    static final long SWEEP_MILLIS = 1_000;
    static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    static final long DROP_GRACE_MILLIS = 200;
    /** Body pieces of up to 64 KiB: a streamed 50 MiB answer is 800 writes, not the codec's default 6,400. */
    private static final int MAX_CHUNK = 64 * 1024;
    /**
     * The probe's connect itself times out after {@value EndpointProbe#CONNECT_TIMEOUT_MILLIS} ms; this bounds the
     * wait for a loop that shut down under the probe and will not answer.
     */
    private static final long MAX_PROBE_WAIT_MILLIS = 1_000;

    private record Idle(Channel channel, long sinceNanos) {
    }

    /**
     * Starts a connection to an instance: a socket in production, an embedded channel in tests. The channel it hands
     * out has the upstream handlers ({@link #addUpstreamHandlers}) once it connects.
     */
    @FunctionalInterface
    interface Connector {
        ChannelFuture connect(InetSocketAddress endpoint);
    }

    private final EventLoop loop;
    private final Connector connector;
    /** Like {@link #connector}, but its channels get the upstream handlers only once the instance accepts. */
    private final Connector probes;
    private final Ticker ticker;
    private final Map<String, ArrayDeque<Idle>> idle = new HashMap<>();
    /**
     * Every open connection to each instance, idle or carrying a request, so that all can be closed when the
     * instance is gone. Changes per connection made or closed, not per request (connections are kept alive).
     */
    private final Map<String, Set<Channel>> open = new HashMap<>();
    /** The Host header for each instance ("10.200.0.7:8080"), made once instead of once per request. */
    private final Map<String, AsciiString> hostHeaders = new HashMap<>();
    /** Whether a {@link #sweep} is scheduled; one runs while any connection is idle. */
    private boolean sweeping;

    /** Connections over sockets of {@code channelClass}; idle ages read from {@code ticker}. */
    UpstreamPool(EventLoop loop, Class<? extends SocketChannel> channelClass, Ticker ticker) {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        addUpstreamHandlers(ch.pipeline());
                    }
                });
        // Most probes are refused: their channels get the HTTP handlers only once accepted.
        Bootstrap probes = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, EndpointProbe.CONNECT_TIMEOUT_MILLIS)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                    }
                });
        this(loop, bootstrap::connect, probes::connect, ticker);
    }

    /** Connections from {@code connector}: sockets, or embedded channels in tests. */
    UpstreamPool(EventLoop loop, Connector connector, Connector probes, Ticker ticker) {
        this.loop = loop;
        this.connector = connector;
        this.probes = probes;
        this.ticker = ticker;
    }

    static void addUpstreamHandlers(ChannelPipeline pipeline) {
        pipeline.addLast(new HttpClientCodec(
                new HttpDecoderConfig().setMaxChunkSize(MAX_CHUNK).setMaxHeaderSize(16 * 1024), false, true));
        pipeline.addLast(new UpstreamHandler());
    }

    EventLoop loop() {
        return loop;
    }

    /** The warmest idle connection to {@code key} that is still open and fresh, or {@code null}. */
    Channel poll(String key) {
        ArrayDeque<Idle> pooled = idle.get(key);
        if (pooled == null) {
            return null;
        }
        long now = ticker.nanos();
        for (Idle c; (c = pooled.pollLast()) != null; ) {
            if (c.channel().isActive() && now - c.sinceNanos() < MAX_IDLE_NANOS) {
                return c.channel();
            }
            c.channel().close();
        }
        return null;
    }

    AsciiString hostHeader(String key, InetSocketAddress endpoint) {
        AsciiString host = hostHeaders.get(key);
        if (host == null) {
            host = new AsciiString(endpoint.getHostString() + ":" + endpoint.getPort());
            hostHeaders.put(key, host);
        }
        return host;
    }

    ChannelFuture connect(String key, InetSocketAddress endpoint) {
        ChannelFuture connecting = connector.connect(endpoint);
        track(key, connecting.channel());
        return connecting;
    }

    /**
     * The readiness probe of a call served by this loop (passed to the dispatcher with the call): the connection the
     * instance accepts is kept for the call, see {@link #probe}.
     */
    EndpointProbe probeForCalls() {
        return this::probeAndKeep;
    }

    private boolean probeAndKeep(String instanceId, InetSocketAddress endpoint) {
        try {
            return probe(instanceId, endpoint).get(MAX_PROBE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false; // the loop shut down under the probe: the launcher's next check says why
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A readiness probe of a starting instance, from any thread: a connection that the instance accepts is not closed
     * but pooled as its first idle connection, and the request the instance was started for, served by this loop,
     * sends its request on it. A probe that closed its connection made that request open a second one, and the
     * function handle the first one's close before it: 20 ms of a Node.js start in gVisor (bench/container-coldstart.sh).
     * Completes with whether the instance accepted.
     */
    CompletableFuture<Boolean> probe(String key, InetSocketAddress endpoint) {
        CompletableFuture<Boolean> accepted = new CompletableFuture<>();
        try {
            loop.execute(() -> probes.connect(endpoint).addListener((ChannelFuture f) -> {
                if (f.isSuccess()) {
                    addUpstreamHandlers(f.channel().pipeline());
                    track(key, f.channel());
                    giveBack(key, f.channel());
                }
                accepted.complete(f.isSuccess());
            }));
        } catch (RejectedExecutionException e) {
            accepted.complete(EndpointProbe.CONNECT.accepts(key, endpoint)); // the gateway has shut down
        }
        return accepted;
    }

    private void track(String key, Channel channel) {
        open.computeIfAbsent(key, k -> new HashSet<>()).add(channel);
        channel.closeFuture().addListener(f -> {
            Set<Channel> channels = open.get(key);
            if (channels != null && channels.remove(channel) && channels.isEmpty()) {
                open.remove(key);
            }
        });
    }

    void giveBack(String key, Channel channel) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        channel.config().setAutoRead(true); // an idle connection reads, so a close by the instance is seen
        idle.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(new Idle(channel, ticker.nanos()));
        if (!sweeping) {
            scheduleSweep();
        }
    }

    /**
     * Closes the connections idle for {@link #MAX_IDLE_NANOS} or more, and forgets those the instance closed; runs
     * again in {@value #SWEEP_MILLIS} ms while any connection is left idle. Each instance's oldest connections are at
     * the head of its deque, so only what is closed is looked at.
     */
    void sweep() {
        long now = ticker.nanos();
        for (var entries = idle.values().iterator(); entries.hasNext(); ) {
            ArrayDeque<Idle> pooled = entries.next();
            for (Idle c; (c = pooled.peekFirst()) != null && !(c.channel().isActive()
                    && now - c.sinceNanos() < MAX_IDLE_NANOS); ) {
                pooled.pollFirst().channel().close();
            }
            if (pooled.isEmpty()) {
                entries.remove();
            }
        }
        sweeping = false;
        if (!idle.isEmpty()) {
            scheduleSweep();
        }
    }

    private void scheduleSweep() {
        try {
            loop.schedule(this::sweep, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
            sweeping = true;
        } catch (RejectedExecutionException e) {
            // The gateway is shutting down: closeAll() closes what is idle.
        }
    }

    /** Closes the idle connections to an instance that is going away; safe from any thread. */
    void forget(String key) {
        onLoop(() -> {
            hostHeaders.remove(key);
            ArrayDeque<Idle> pooled = idle.remove(key);
            if (pooled != null) {
                pooled.forEach(c -> c.channel().close());
            }
        });
    }

    /**
     * Closes, after {@link #DROP_GRACE_MILLIS}, every connection to an instance whose sandbox (with its own network
     * stack) has exited, those carrying a request too: their exchanges then fail with the instance's exit reason
     * instead of waiting for an answer that cannot come. The grace lets the loop read what had arrived before the
     * exit. Safe from any thread.
     */
    void drop(String key) {
        try {
            loop.schedule(() -> {
                forget(key);
                Set<Channel> channels = open.remove(key);
                if (channels != null) {
                    List.copyOf(channels).forEach(Channel::close);
                }
            }, DROP_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The gateway has shut down, and its connections went with the loop.
        }
    }

    /** Closes every idle connection; runs on the loop, so call it before the loop shuts down. */
    void closeAll() {
        onLoop(() -> {
            // Copied first: a channel's close listener removes it from these maps while they are walked.
            List<Channel> all = open.values().stream().flatMap(Set::stream).toList();
            open.clear();
            idle.clear();
            hostHeaders.clear();
            all.forEach(Channel::close);
        });
    }

    private void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // The gateway has shut down, and its connections went with the loop.
        }
    }
}
