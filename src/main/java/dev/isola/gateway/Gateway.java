package dev.isola.gateway;

import dev.isola.Ticker;
import dev.isola.async.AsyncCalls;
import dev.isola.dispatch.Dispatcher;
import dev.isola.dispatch.Readiness;
import dev.isola.metrics.Metrics;
import dev.isola.store.InvocationLog;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.util.ResourceLeakDetector;

import com.sun.management.UnixOperatingSystemMXBean;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The HTTP front door: the edge (Netty, event loops) owns the public port and the hot path. It proxies invocations
 * ({@code /function/{name}/...}, {@code /invoke/...}) to instances and answers {@code /healthz} and the readiness
 * callbacks itself; everything else goes to the control plane on its loopback port (the admin API behind its token,
 * {@code /metrics}, the JSON 404 of unknown routes). Why two servers: an invocation is a few microseconds of work on
 * each side of two socket hops, and on a thread-per-connection server every one of those hops parks and wakes a
 * thread, which cost more than the work itself (see docs/architecture/edge.md); the admin API is rare and easiest to
 * write as blocking handlers.
 */
public final class Gateway implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Gateway.class.getName());
    /** File descriptors kept for everything but client connections: instances, upstream connections, the store. */
    private static final long RESERVED_FDS = 1024;
    private static final int CLOSE_WAIT_SECONDS = 5;

    private final Channel edge;
    private final AtomicBoolean draining;

    private Gateway(Channel edge, AtomicBoolean draining) {
        this.edge = edge;
        this.draining = draining;
    }

    /**
     * What the gateway serves; all of it is owned (and closed) by the caller.
     *
     * @param clients      what a client connection is allowed: the limits on slow and idle clients, and how many
     */
    public record Parts(Dispatcher dispatcher, AsyncCalls async, Readiness readiness, InvocationLog invocations,
                        CallFailures failures, Metrics metrics,
                        long maxBodyBytes, ClientLimits clients, Ticker ticker,
                        InstantSource wallClock) {
    }

    /** Listens on {@code host:port} on {@code loops}, which the caller made and closes after the gateway. */
    public static Gateway start(String host, int port, EdgeLoops loops, Parts parts) {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // The sampling leak detector records a stack trace every 128 buffers: visible in the proxy's profile.
            // Tests and debugging turn it back on with -Dio.netty.leakDetection.level=paranoid.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        AtomicBoolean draining = new AtomicBoolean();
        EdgeRouter router = new EdgeRouter(new InvocationTarget.Services(parts.dispatcher(), parts.metrics(),
                parts.invocations(), parts.failures(), parts.ticker(), parts.wallClock()), parts.async(),
                parts.readiness(), draining::get, parts.maxBodyBytes());
        FrontHandler.Router routes = router::route;
        ClientLimits clients = parts.clients();
        warnIfFewDescriptors(clients.maxConnections());
        ConnectionLimit connections = new ConnectionLimit(clients.maxConnections(),
                parts.metrics()::clientConnectionRefused);
        parts.metrics().watchClientConnections(connections::open);
        EdgeTransport transport = loops.transport();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(transport.group())
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!connections.admit(ch)) {
                            return; // answered 503 and closed by the limit's own handler
                        }
                        // No IdleStateHandler: the FrontHandler's one timer keeps every deadline, idleness included.
                        ch.pipeline().addLast(new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(8192).setMaxHeaderSize(16 * 1024).setMaxChunkSize(64 * 1024)));
                        ch.pipeline().addLast(new HttpServerExpectContinueHandler());
                        ch.pipeline().addLast(new FrontHandler(routes, loops.upstreams(ch.eventLoop()),
                                parts.ticker(), clients));
                    }
                });
        try {
            Channel edge = bootstrap.bind(host, port).syncUninterruptibly().channel();
            LOG.log(System.Logger.Level.DEBUG, "edge on " + edge.localAddress() + " (" + transport.name() + ")");
            return new Gateway(edge, draining);
        } catch (RuntimeException e) {
            throw new IllegalStateException("Cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * Each client connection is a file descriptor, and a call in flight one more to its instance: a cap the process
     * cannot reach fails calls with "too many open files" instead of refusing connections cleanly. The JVM raises its
     * soft limit to the hard one at start (MaxFDLimit), so this reads what it got.
     */
    private static void warnIfFewDescriptors(int maxConnections) {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
                && unix.getMaxFileDescriptorCount() < maxConnections + ConnectionLimit.MAX_LINGERING + RESERVED_FDS) {
            LOG.log(System.Logger.Level.WARNING, "gateway: maxClientConnections is " + maxConnections + " but the "
                    + "process may open only " + unix.getMaxFileDescriptorCount() + " files; raise the limit (ulimit "
                    + "-n, LimitNOFILE=) or lower maxClientConnections below it by "
                    + (ConnectionLimit.MAX_LINGERING + RESERVED_FDS));
        }
    }

    public int port() {
        return ((InetSocketAddress) edge.localAddress()).getPort();
    }

    /**
     * The first step of a stop: no new connections, and {@code /healthz} answers 503 so that a load balancer moves
     * away. Open connections keep being served (the dispatcher answers new calls 503 and lets those in flight
     * finish); they close with the loops ({@link EdgeLoops#close()}), after the dispatcher has drained.
     */
    @Override
    public void close() {
        draining.set(true);
        edge.close().awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
    }
}
