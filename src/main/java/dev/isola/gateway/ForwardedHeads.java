package dev.isola.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/**
 * What {@link ProxyExchange} changes in the heads it passes on, in place (the exchange owns both heads; copying them
 * showed in profiles): the hop-by-hop headers go, the forwarding headers come, each message keeps its own framing
 * except an answer that ends with its connection.
 */
final class ForwardedHeads {
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    private static final AsciiString X_REAL_IP = AsciiString.cached("X-Real-IP");
    private static final AsciiString FORWARDED = AsciiString.cached("Forwarded");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private ForwardedHeads() {
    }

    /**
     * The client's head made the upstream's: {@code host} is the instance's address, {@code client} the caller's. The
     * edge is where the platform begins, so the forwarding headers say what it saw and replace the caller's own: added
     * after them, a forged {@code X-Forwarded-Host} or {@code -For} came first, and Go's {@code Header.Get} and
     * Express's {@code req.hostname} read the first.
     */
    static HttpRequest toUpstream(HttpRequest request, String pathAndQuery, AsciiString host, AsciiString client) {
        HttpHeaders headers = request.headers();
        String clientHost = headers.get(HttpHeaderNames.HOST);
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        HopByHop.removeFrom(headers);
        headers.remove(HttpHeaderNames.EXPECT);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        headers.set(HttpHeaderNames.HOST, host);
        headers.set(X_FORWARDED_FOR, client);
        headers.set(X_FORWARDED_PROTO, HTTP);
        headers.remove(FORWARDED);
        headers.remove(X_REAL_IP);
        if (clientHost != null && !clientHost.isEmpty()) {
            headers.set(X_FORWARDED_HOST, clientHost);
        } else {
            headers.remove(X_FORWARDED_HOST);
        }
        request.setUri(pathAndQuery);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        return request;
    }

    /** Whether the answer marks its end by closing the connection: it may have a body, but no length and no chunks. */
    static boolean closeDelimited(HttpResponse response, HttpMethod method) {
        int status = response.status().code();
        boolean bodyless = method == HttpMethod.HEAD || status == 204 || status == 304;
        return !bodyless && !HttpUtil.isTransferEncodingChunked(response) && !HttpUtil.isContentLengthSet(response);
    }

    /**
     * The upstream's head made the client's. A close-delimited answer is re-framed as chunked ({@code rechunk}),
     * except to an HTTP/1.0 client, whose connection ends with the answer instead ({@code keepAlive} false); so
     * does a chunked one, unframed, since such a client knows no chunks.
     */
    static void toClient(HttpResponse response, ProxyTarget target, boolean rechunk, HttpVersion clientVersion,
                         boolean keepAlive) {
        HttpHeaders headers = response.headers();
        HopByHop.removeFrom(headers);
        if (clientVersion == HttpVersion.HTTP_1_0) {
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        }
        if (rechunk) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        target.decorate(headers);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        HttpUtil.setKeepAlive(headers, clientVersion, keepAlive);
    }
}
