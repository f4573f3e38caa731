package dev.isola.gateway;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * An answer the edge gives itself (health, readiness callbacks, errors found in the request head). It is sent once
 * the request body has been read and dropped, so the connection can serve the next request; a large body is not
 * worth reading, and the connection closes instead. {@link #rejecting} answers at once and closes: for a body that
 * is refused for its size.
 */
final class LocalReply implements FrontHandler.Exchange {
    private static final long MAX_DISCARD_BYTES = 64 * 1024;

    private final FrontHandler front;
    private final HttpRequest request;
    private final FullHttpResponse response;
    private final boolean immediately;
    private long discarded;
    private boolean done;

    private LocalReply(FrontHandler front, HttpRequest request, FullHttpResponse response, boolean immediately) {
        this.front = front;
        this.request = request;
        this.response = response;
        this.immediately = immediately;
    }

    static LocalReply of(FrontHandler front, HttpRequest request, FullHttpResponse response) {
        return new LocalReply(front, request, response, false);
    }

    static LocalReply rejecting(FrontHandler front, HttpRequest request, FullHttpResponse response) {
        return new LocalReply(front, request, response, true);
    }

    @Override
    public void begin() {
        if (immediately) {
            send(false);
        }
    }

    @Override
    public void content(HttpContent piece) {
        discarded += piece.content().readableBytes();
        boolean last = piece instanceof LastHttpContent;
        piece.release();
        if (done) {
            return;
        }
        if (last) {
            send(HttpUtil.isKeepAlive(request));
        } else if (discarded > MAX_DISCARD_BYTES) {
            send(false);
        }
    }

    private void send(boolean keepAlive) {
        done = true;
        front.reply(this, response, keepAlive);
    }

    @Override
    public void clientClosed() {
        cutShort(ProxyExchange.CLIENT_CLOSED);
    }

    @Override
    public boolean cutShort(int status) {
        if (done) {
            return false;
        }
        done = true;
        response.release();
        return true;
    }
}
