package dev.isola.gateway;

import dev.isola.Ticker;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: takes requests one at a time and gives each to the {@link Exchange} the {@link EdgeRouter}
 * picks. The connection reads freely while that is harmless and pauses when it is not (the back-pressure): while
 * the instance cannot take more of a request body yet, and while requests a client pipelines behind an unfinished
 * one wait here, in order. Pausing costs a system call each way, so the common case never pauses.
 */
final class FrontHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(FrontHandler.class.getName());

    /** What serves one request: the proxy or a local answer. Receives the body and the client's state. */
    interface Exchange {
        /** Starts serving; called once the exchange is the connection's current one. */
        void begin();

        /** A piece of the request body; the exchange owns (and releases) it. */
        void content(HttpContent piece);

        void clientClosed();

        default void clientWritable() {
        }

        /**
         * Called by the connection's watchdog: ends the exchange if it has timed out, else says in how many
         * nanoseconds to look again ({@code -1}: never, it does not time out or has ended).
         */
        default long checkTimeout() {
            return -1;
        }
    }

    /** Picks the exchange that serves a request: {@link EdgeRouter#route} in production, a fake in tests. */
    @FunctionalInterface
    interface Router {
        Exchange route(FrontHandler front, HttpRequest request);
    }

    private final Router router;
    private final UpstreamPool upstreams;
    private final Ticker ticker;
    private ChannelHandlerContext ctx;
    private AsciiString remoteHost;
    private Exchange current;
    private boolean currentRequestDone;
    private final ArrayDeque<Object> pipelined = new ArrayDeque<>();
    private ScheduledFuture<?> watchdog;
    private long watchdogAtNanos;

    FrontHandler(Router router, UpstreamPool upstreams, Ticker ticker) {
        this.router = router;
        this.upstreams = upstreams;
        this.ticker = ticker;
    }

    Ticker ticker() {
        return ticker;
    }

    UpstreamPool upstreams() {
        return upstreams;
    }

    Channel channel() {
        return ctx.channel();
    }

    EventLoop loop() {
        return ctx.channel().eventLoop();
    }

    /** The client's address, for X-Forwarded-For; one per connection, so worked out once. */
    AsciiString remoteHost() {
        if (remoteHost == null) {
            remoteHost = new AsciiString(ctx.channel().remoteAddress() instanceof InetSocketAddress a
                    ? a.getAddress().getHostAddress() : "-");
        }
        return remoteHost;
    }

    /**
     * Calls the current exchange's {@link Exchange#checkTimeout} within {@code delayNanos}. One timer per connection,
     * left running across its requests and moved only to fire earlier: scheduling and cancelling a timer for every
     * request showed in the profile (the loop's timer heap), and a timer that fires early just re-arms for what is
     * left.
     */
    void watch(long delayNanos) {
        long at = ticker.nanos() + delayNanos;
        if (watchdog != null) {
            if (watchdogAtNanos - at <= 0) {
                return;
            }
            watchdog.cancel(false);
        }
        watchdogAtNanos = at;
        watchdog = loop().schedule(this::watchdogFired, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void watchdogFired() {
        watchdog = null;
        if (current != null) {
            long again = current.checkTimeout();
            if (again > 0) {
                watch(again);
            }
        }
    }

    /** Stops taking bytes from the client until {@link #resumeReading()}: the upstream cannot take them yet. */
    void pauseReading() {
        ctx.channel().config().setAutoRead(false);
    }

    void resumeReading() {
        ctx.channel().config().setAutoRead(true);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (current != null && currentRequestDone) {
            pipelined.add(msg); // the next request, sent before this one's answer: its turn comes
            pauseReading();
            return;
        }
        if (msg instanceof HttpRequest request) {
            if (request.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                badRequest(request.decoderResult().cause());
                return;
            }
            currentRequestDone = false;
            current = router.route(this, request);
            current.begin();
        } else if (msg instanceof HttpContent piece) {
            if (current == null) {
                piece.release();
                return;
            }
            if (piece.decoderResult().isFailure()) {
                piece.release();
                badRequest(piece.decoderResult().cause());
                return;
            }
            currentRequestDone = piece instanceof LastHttpContent;
            current.content(piece);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /** {@code exchange} has sent its whole answer; the connection stays open for the next request if asked to. */
    void finished(Exchange exchange, boolean keepAlive) {
        if (exchange != current) {
            return;
        }
        current = null;
        if (!keepAlive) {
            ctx.channel().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else if (pipelined.isEmpty()) {
            resumeReading();
        } else {
            loop().execute(this::replayPipelined);
        }
    }

    /** {@code from} gives up its request before reading all of it: {@code to} reads the rest and answers. */
    void handOver(Exchange from, Exchange to) {
        if (from == current) {
            current = to;
            resumeReading(); // an exchange waiting for its upstream had paused it
            to.begin();
        }
    }

    private void replayPipelined() {
        while (!pipelined.isEmpty() && (current == null || !currentRequestDone) && ctx.channel().isActive()) {
            channelRead(ctx, pipelined.poll());
        }
        if (current == null && pipelined.isEmpty()) {
            resumeReading();
        }
    }

    /**
     * Answers the current request with a JSON error. {@code keepAlive} only if the client wants it and its request
     * was read whole: unread body bytes would be taken for the next request.
     */
    void replyError(Exchange exchange, int status, String code, String message, boolean keepAlive) {
        reply(exchange, ApiError.response(status, code, message), keepAlive);
    }

    void reply(Exchange exchange, FullHttpResponse response, boolean keepAlive) {
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.channel().writeAndFlush(response);
        finished(exchange, keepAlive);
    }

    private void badRequest(Throwable cause) {
        HttpResponseStatus status = cause instanceof TooLongHttpHeaderException
                ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
                : HttpResponseStatus.BAD_REQUEST;
        FullHttpResponse response = ApiError.response(status.code(), "bad_request",
                "Malformed HTTP request: " + cause.getMessage());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (current != null) {
            current.clientClosed();
            current = null;
        }
        ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext context) {
        if (current != null && context.channel().isWritable()) {
            current.clientWritable();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        if (watchdog != null) {
            watchdog.cancel(false);
            watchdog = null;
        }
        Exchange gone = current;
        current = null;
        pipelined.forEach(ReferenceCountUtil::release);
        pipelined.clear();
        if (gone != null) {
            gone.clientClosed();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object event) {
        if (event instanceof IdleStateEvent && current == null) {
            context.close(); // an idle keep-alive connection; a long exchange keeps its connection
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        LOG.log(System.Logger.Level.DEBUG, "client connection failed: " + cause);
        context.close();
    }
}
