package dev.isola.gateway;

import dev.isola.Ticker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The edge's own work for one warm call, without sockets: a keep-alive request through the client's codec, the
 * {@link FrontHandler}, a {@link ProxyExchange} on a pooled upstream connection with the upstream codec, and the
 * instance's answer back out. Netty {@code EmbeddedChannel}s stand in for both sockets. The baseline is what any HTTP
 * server on these codecs does for the same request: decode it and encode the same answer, measured in the same run,
 * so the ratio is the proxy's share on top of HTTP itself.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ProxyExchangeBenchmark {
    private static final InetSocketAddress ENDPOINT = new InetSocketAddress("10.200.0.7", 8080);
    private static final byte[] REQUEST = ("GET /function/hello/ HTTP/1.1\r\nHost: edge\r\nUser-Agent: bench\r\n"
            + "Accept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ANSWER = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
            + "Date: Fri, 04 Dec 2026 03:00:00 GMT\r\n\r\nHello world\n").getBytes(StandardCharsets.US_ASCII);

    private EmbeddedChannel client;
    private EmbeddedChannel instance;
    private EmbeddedChannel plainServer;

    @Setup(Level.Trial)
    public void setUp() {
        client = new EmbeddedChannel();
        instance = new EmbeddedChannel();
        UpstreamPool.addUpstreamHandlers(instance.pipeline());
        UpstreamPool.Connector connector = endpoint -> {
            ChannelFuture connected = instance.newSucceededFuture();
            return connected;
        };
        UpstreamPool pool = new UpstreamPool(client.eventLoop(), connector, connector, Ticker.SYSTEM);
        ProxyTarget target = new WarmTarget();
        FrontHandler.Router router = (front, request) -> new ProxyExchange(front, request, request.uri(), target,
                1 << 20, Runnable::run);
        client.pipeline().addLast(new HttpServerCodec(), new HttpServerExpectContinueHandler(),
                new FrontHandler(router, pool, Ticker.SYSTEM, ClientLimits.defaults()));
        plainServer = new EmbeddedChannel(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                new SimpleChannelInboundHandler<HttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, HttpRequest request) {
                        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                HttpResponseStatus.OK, Unpooled.wrappedBuffer("Hello world\n".getBytes(
                                StandardCharsets.US_ASCII)));
                        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
                                .setInt(HttpHeaderNames.CONTENT_LENGTH, 12);
                        ctx.writeAndFlush(response);
                    }
                });
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        client.finishAndReleaseAll();
        instance.finishAndReleaseAll();
        plainServer.finishAndReleaseAll();
    }

    /** One proxied call: the request in, forwarded, the answer in from the instance, relayed to the client. */
    @Benchmark
    public int proxiedCall() {
        client.writeInbound(Unpooled.wrappedBuffer(REQUEST));
        int forwarded = drain(instance);
        instance.writeInbound(Unpooled.wrappedBuffer(ANSWER));
        return forwarded + drain(client);
    }

    /** The same request and answer through the server codec alone. */
    @Benchmark
    public int baselineServedByTheCodecs() {
        plainServer.writeInbound(Unpooled.wrappedBuffer(REQUEST));
        return drain(plainServer);
    }

    private static int drain(EmbeddedChannel channel) {
        int bytes = 0;
        for (Object out; (out = channel.readOutbound()) != null; ) {
            if (out instanceof ByteBuf b) {
                bytes += b.readableBytes();
            }
            ReferenceCountUtil.release(out);
        }
        return bytes;
    }

    /** A target whose instance is always ready, as on the warm path; the platform's accounting is left out. */
    private static final class WarmTarget implements ProxyTarget {
        @Override
        public void open(ProxyExchange exchange) {
            exchange.opened(ENDPOINT, "hello.0123456789", 30_000);
        }

        @Override
        public void decorate(HttpHeaders headers) {
            headers.set(InvocationTarget.INSTANCE_HEADER, "hello.0123456789");
        }

        @Override
        public void finish(int status, boolean healthy) {
        }

        @Override
        public String label() {
            return "bench";
        }

        @Override
        public String describeFailure(String cause) {
            return cause;
        }
    }
}
