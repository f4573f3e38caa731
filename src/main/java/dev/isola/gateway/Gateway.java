package dev.isola.gateway;

import dev.isola.Ticker;
import dev.isola.dispatch.Dispatcher;
import dev.isola.dispatch.Readiness;
import dev.isola.function.FunctionService;
import dev.isola.logs.FunctionLogs;
import dev.isola.metrics.PrometheusMetrics;
import dev.isola.store.Store;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.EventExecutor;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP front door: one port, two servers behind it.
 *
 * <p>The <em>edge</em> (Netty, event loops) owns the port and the hot path: it proxies invocations
 * ({@code /function/{name}/...}, {@code /invoke/...}) to instances and answers {@code /healthz} and the readiness
 * callbacks itself. The <em>control plane</em> (Helidon, on a loopback port of its own) serves the admin API behind
 * its token, {@code /metrics} and the JSON 404 of unknown routes; the edge forwards those requests to it. Why two: an
 * invocation is a few microseconds of work on each side of two socket hops, and on a thread-per-connection server
 * every one of those hops parks and wakes a thread, which cost more than the work itself (see docs/architecture.md);
 * the admin API is rare and easiest to write as blocking handlers.
 */
public final class Gateway implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Gateway.class.getName());
    /** Connections with no request for this long are closed, as Helidon did before the edge existed. */
    private static final int IDLE_CONNECTION_SECONDS = 300;
    private static final int CLOSE_WAIT_SECONDS = 5;

    private final Channel edge;
    private final EdgeTransport transport;
    private final List<UpstreamPool> upstreams;
    private final WebServer controlPlane;

    private Gateway(Channel edge, EdgeTransport transport, List<UpstreamPool> upstreams, WebServer controlPlane) {
        this.edge = edge;
        this.transport = transport;
        this.upstreams = upstreams;
        this.controlPlane = controlPlane;
    }

    /** What the gateway serves; all collaborators are owned (and closed) by the caller. */
    public record Parts(Dispatcher dispatcher, Readiness readiness, FunctionService functions, FunctionLogs logs,
                        Store store, PrometheusMetrics metrics, String adminToken, long maxBodyBytes,
                        long maxArchiveBytes, int threads, int spinMicros) {
    }

    public static Gateway start(String host, int port, Parts parts) {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // The sampling leak detector records a stack trace every 128 buffers: visible in the proxy's profile.
            // Tests and debugging turn it back on with -Dio.netty.leakDetection.level=paranoid.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        WebServer controlPlane = startControlPlane(parts);
        EdgeTransport transport = EdgeTransport.create(parts.threads() > 0 ? parts.threads()
                : EdgeTransport.defaultThreads(), TimeUnit.MICROSECONDS.toNanos(parts.spinMicros()));
        Ticker ticker = Ticker.SYSTEM;
        Map<EventLoop, UpstreamPool> pools = new HashMap<>();
        for (EventExecutor loop : transport.group()) {
            pools.put((EventLoop) loop, new UpstreamPool((EventLoop) loop, transport.socketChannel(), ticker));
        }
        parts.readiness().probeWith(new FirstConnections(pools));
        parts.dispatcher().onRetire(id -> pools.values().forEach(p -> p.forget(id)));
        parts.dispatcher().onExit(id -> pools.values().forEach(p -> p.drop(id)));
        EdgeRouter router = new EdgeRouter(new InvocationTarget.Services(parts.dispatcher(), parts.metrics(),
                parts.store()), parts.readiness(), new InetSocketAddress(InetAddress.getLoopbackAddress(),
                controlPlane.port()), parts.maxBodyBytes());
        FrontHandler.Router routes = router::route;
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
                        ch.pipeline().addLast(new FrontHandler(routes, pools.get(ch.eventLoop()), ticker));
                    }
                });
        try {
            Channel edge = bootstrap.bind(host, port).syncUninterruptibly().channel();
            LOG.log(System.Logger.Level.DEBUG, "edge on " + edge.localAddress() + " (" + transport.name() + ", "
                    + pools.size() + " event loops); control plane on 127.0.0.1:" + controlPlane.port());
            return new Gateway(edge, transport, List.copyOf(pools.values()), controlPlane);
        } catch (RuntimeException e) {
            transport.group().shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            controlPlane.stop();
            throw new IllegalStateException("Cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    private static WebServer startControlPlane(Parts parts) {
        AdminAuth auth = new AdminAuth(parts.adminToken());
        AdminApi admin = new AdminApi(parts.functions(), parts.dispatcher(), parts.logs(), parts.store(),
                parts.maxArchiveBytes());
        HttpRouting.Builder routing = HttpRouting.builder()
                .get("/metrics", (req, res) -> metrics(parts.metrics(), res))
                .any("/system", auth::filter)
                .any("/system/*", auth::filter);
        admin.routes(routing);
        routing.any((req, res) -> ApiError.send(res, 404, "not_found", "No route for " + req.prologue().method().text()
                        + " " + req.path().rawPath()))
                .error(Throwable.class, (req, res, t) -> {
                    LOG.log(System.Logger.Level.ERROR, "request " + req.prologue().method().text() + " "
                            + req.path().rawPath() + " failed", t);
                    if (!res.isSent()) {
                        ApiError.send(res, 500, "internal_error", "Isola failed to handle the request; see its log");
                    }
                });
        return WebServer.builder()
                .host(InetAddress.getLoopbackAddress().getHostAddress())
                .port(0)
                .maxPayloadSize(-1)
                .idleConnectionTimeout(Duration.ofMinutes(5))
                .routing(routing)
                .build()
                .start();
    }

    public int port() {
        return ((InetSocketAddress) edge.localAddress()).getPort();
    }

    private static void metrics(PrometheusMetrics metrics, ServerResponse res) throws java.io.IOException {
        res.header(HeaderNames.CONTENT_TYPE, metrics.contentType());
        try (OutputStream out = res.outputStream()) {
            metrics.write(out);
        }
    }

    /**
     * Stops listening, closes every connection and stops the loops. Bounded: a loop that died (say, of a class
     * that could not be loaded because the jar was replaced under the running server) never reports its end, and
     * shutdown must go on to stop the instances anyway.
     */
    @Override
    public void close() {
        edge.close().awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        upstreams.forEach(UpstreamPool::closeAll);
        if (!transport.group().shutdownGracefully(0, 2, TimeUnit.SECONDS)
                .awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
            LOG.log(System.Logger.Level.WARNING, "gateway: event loops did not stop within " + CLOSE_WAIT_SECONDS
                    + " s; going on with the shutdown");
        }
        controlPlane.stop();
    }
}
