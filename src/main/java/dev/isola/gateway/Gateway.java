package dev.isola.gateway;

import dev.isola.Ticker;
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
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ResourceLeakDetector;

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
    /** Connections with no request for this long are closed, as Helidon did before the edge existed. */
    private static final int IDLE_CONNECTION_SECONDS = 300;
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
     * @param controlPlane where the requests that are not invocations go
     */
    public record Parts(Dispatcher dispatcher, Readiness readiness, InvocationLog invocations, Metrics metrics,
                        InetSocketAddress controlPlane, long maxBodyBytes, Ticker ticker, InstantSource wallClock) {
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
                parts.invocations(), parts.ticker(), parts.wallClock()), parts.readiness(), draining::get,
                parts.controlPlane(), parts.maxBodyBytes());
        FrontHandler.Router routes = router::route;
        EdgeTransport transport = loops.transport();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(transport.group())
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // Reader idleness only: watching writes too would add a listener to every write.
                        ch.pipeline().addLast(new IdleStateHandler(IDLE_CONNECTION_SECONDS, 0, 0));
                        ch.pipeline().addLast(new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(8192).setMaxHeaderSize(16 * 1024).setMaxChunkSize(64 * 1024)));
                        ch.pipeline().addLast(new HttpServerExpectContinueHandler());
                        ch.pipeline().addLast(new FrontHandler(routes, loops.upstreams(ch.eventLoop()),
                                parts.ticker()));
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
