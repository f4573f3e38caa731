package dev.isola.gateway;

import dev.isola.Ticker;
import dev.isola.api.ErrorCode;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
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
 *
 * <p>Slow clients ({@link ClientLimits}): the connection's {@link ClientDeadlines} give its head
 * {@code headerTimeout} (408 and close), an idle keep-alive wait {@code keepAliveTimeout} (closed without an answer),
 * and a body {@code minBodyRate} (408 and close; the exchange ends as 408 and frees its instance's slot). One timer
 * per connection watches all of these and the exchange's own deadline ({@link Exchange#checkTimeout}).
 */
final class FrontHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(FrontHandler.class.getName());
    /**
     * Messages (a request is its head and at least one piece) queued behind the current request at most. Reading
     * pauses at the first, but what one read brought is decoded whole: 64 KiB of minimal requests made about 3,000
     * request objects, a few MiB of heap per connection. Past it the connection closes after the current answer,
     * and the client sends the rest again, as it must be ready to (RFC 9112, 9.3.2).
     */
    static final int MAX_PIPELINED = 64;

    /** What serves one request: the proxy or a local answer. Receives the body and the client's state. */
    interface Exchange {
        /** Starts serving; called once the exchange is the connection's current one. */
        void begin();

        /** A piece of the request body; the exchange owns (and releases) it. */
        void content(HttpContent piece);

        void clientClosed();

        default void clientWritable() {
        }

        /** The client's read under way has been handed over: pieces written since may go out together now. */
        default void clientReadComplete() {
        }

        /**
         * Called by the connection's watchdog: ends the exchange if its deadline has passed, else says when (ticker
         * nanos) to look again ({@link ClientDeadlines#NEVER}: it does not time out, or has ended).
         */
        default long checkTimeout(long now) {
            return ClientDeadlines.NEVER;
        }

        /**
         * The edge gives up on the client (its body came too slowly): the exchange ends now, recorded with
         * {@code status}, and writes nothing. Returns whether nothing of its answer went out, so the edge may still
         * answer with an error.
         */
        boolean cutShort(int status);
    }

    /** Picks the exchange that serves a request: {@link EdgeRouter#route} in production, a fake in tests. */
    @FunctionalInterface
    interface Router {
        Exchange route(FrontHandler front, HttpRequest request);
    }

    private final Router router;
    private final UpstreamPool upstreams;
    private final Ticker ticker;
    private final ClientLimits limits;
    private final ClientDeadlines deadlines;
    private ChannelHandlerContext ctx;
    private AsciiString remoteHost;
    private Exchange current;
    private boolean currentRequestDone;
    private final ArrayDeque<Object> pipelined = new ArrayDeque<>();
    /** Set when more was pipelined than {@link #MAX_PIPELINED}: nothing more is read, and the connection closes. */
    private boolean pipelineCut;
    private ScheduledFuture<?> watchdog;
    private long watchdogAtNanos;
    private boolean readingPaused;
    /** Whether the read under way brought a whole message; if not, an idle connection has a head under way. */
    private boolean readMessage;

    FrontHandler(Router router, UpstreamPool upstreams, Ticker ticker, ClientLimits limits) {
        this.router = router;
        this.upstreams = upstreams;
        this.ticker = ticker;
        this.limits = limits;
        this.deadlines = new ClientDeadlines(limits);
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

    ClientPhase phase() {
        return deadlines.phase();
    }

    /** When (ticker nanos) the current request's head arrived: the function's timeout runs from here. */
    long requestStartNanos() {
        return deadlines.requestStart();
    }

    /**
     * Makes the connection's watchdog fire by {@code atNanos} (ticker nanos; {@link ClientDeadlines#NEVER}: no need).
     * One timer per connection, left running across its requests and moved only to fire earlier: scheduling and
     * cancelling a timer for every request showed in the profile (the loop's timer heap), and a timer that fires
     * early just re-arms for what is left. So a busy connection costs a reschedule per few seconds, not per request.
     */
    void watchUntil(long atNanos) {
        if (atNanos == ClientDeadlines.NEVER || watchdog != null && watchdogAtNanos - atNanos <= 0) {
            return;
        }
        if (watchdog != null) {
            watchdog.cancel(false);
        }
        watchdogAtNanos = atNanos;
        watchdog = loop().schedule(this::watchdogFired, atNanos - ticker.nanos(), TimeUnit.NANOSECONDS);
    }

    private void watchdogFired() {
        watchdog = null;
        long now = ticker.nanos();
        switch (deadlines.due(now)) {
            case HEAD -> {
                closeWith(ApiError.response(ErrorCode.REQUEST_TIMEOUT, "No complete request head within "
                        + limits.headerTimeout().toMillis() + " ms (headerTimeout)"));
                return;
            }
            case KEEP_ALIVE -> {
                deadlines.closed();
                ctx.close();
                return;
            }
            case BODY -> {
                bodyTooSlow();
                return;
            }
            case NOTHING -> {
            }
        }
        long next = current == null ? ClientDeadlines.NEVER : current.checkTimeout(now);
        if (ctx.channel().isActive()) {
            watchUntil(ClientDeadlines.earliest(next, deadlines.nextCheck()));
        }
    }

    /** The body fell below {@code minBodyRate}: the exchange ends as 408 (freeing its slot), the connection closes. */
    private void bodyTooSlow() {
        Exchange gone = current;
        current = null;
        String message = "Request body arrived slower than " + limits.minBodyRate() + " bytes/s (minBodyRate)";
        if (gone == null || gone.cutShort(HttpResponseStatus.REQUEST_TIMEOUT.code())) {
            closeWith(ApiError.response(ErrorCode.REQUEST_TIMEOUT, message));
        } else {
            deadlines.closed();
            ctx.close(); // part of the answer went out: ending the connection is the only signal left
        }
    }

    /** Answers with {@code response} and closes; what the client still sends meanwhile is dropped (CLOSED). */
    private void closeWith(FullHttpResponse response) {
        deadlines.closed();
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        LingeringClose.after(ctx.channel().writeAndFlush(response));
    }

    /** Stops taking bytes from the client until {@link #resumeReading()}: the upstream cannot take them yet. */
    void pauseReading() {
        if (!readingPaused) {
            readingPaused = true;
            deadlines.paused(ticker.nanos()); // held back by the edge: not the client's slowness
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Reads the client again; free when it was not paused, as on every keep-alive request. */
    void resumeReading() {
        if (readingPaused) {
            readingPaused = false;
            watchUntil(deadlines.resumed(ticker.nanos()));
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        if (context.channel().isActive()) { // added to an accepted socket: channelActive may have gone by
            watchUntil(deadlines.connected(ticker.nanos()));
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext context) {
        watchUntil(deadlines.connected(ticker.nanos()));
        context.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        readMessage = true;
        if (deadlines.phase() == ClientPhase.CLOSED) {
            ReferenceCountUtil.release(msg); // read before the close took effect: nothing more is served
            return;
        }
        if (pipelineCut) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (current != null && currentRequestDone) {
            if (pipelined.size() >= MAX_PIPELINED) {
                pipelineCut = true;
                ReferenceCountUtil.release(msg);
                pipelined.forEach(ReferenceCountUtil::release);
                pipelined.clear();
                return;
            }
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
            watchUntil(deadlines.headReceived(ticker.nanos()));
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
            deadlines.body(piece.content().readableBytes(), currentRequestDone);
            current.content(piece);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * Called after every read: a read that brought no whole message to an idle connection brought the start of the
     * next request's head, whose {@code headerTimeout} starts now. (A read that brought a whole request and its answer
     * together leaves the connection idle with {@code readMessage} set: a head started in that same read is caught by
     * the next read, when more of it comes.)
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext context) {
        if (!readMessage && deadlines.phase() == ClientPhase.IDLE) {
            watchUntil(deadlines.headStarted(ticker.nanos()));
        }
        readMessage = false;
        if (current != null) {
            current.clientReadComplete();
        }
        context.fireChannelReadComplete();
    }

    /** {@code exchange} has sent its whole answer; the connection stays open for the next request if asked to. */
    void finished(Exchange exchange, boolean keepAlive) {
        if (exchange != current) {
            return;
        }
        current = null;
        if (!keepAlive || pipelineCut) {
            deadlines.closed();
            ChannelFuture flushed = ctx.channel().writeAndFlush(Unpooled.EMPTY_BUFFER);
            if (currentRequestDone) {
                flushed.addListener(ChannelFutureListener.CLOSE);
            } else {
                LingeringClose.after(flushed); // the client may still be sending the body refused (a 413)
            }
            return;
        }
        watchUntil(deadlines.answered(ticker.nanos()));
        if (pipelined.isEmpty()) {
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
        if (current != null) {
            current.clientReadComplete(); // as after a read: what was queued goes out together
        }
        // Reads on when every queued message is in, unless the current request is whole and waits for its answer:
        // the next request, or the rest of this one's body (an exchange that cannot take it yet pauses again).
        if (pipelined.isEmpty() && (current == null || !currentRequestDone)) {
            resumeReading();
        }
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
        deadlines.closed();
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
        deadlines.closed();
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
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        LOG.log(System.Logger.Level.DEBUG, "client connection failed: " + cause);
        context.close();
    }
}
