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

    private ForwardedHeads() {
    }

    /** The client's head made the upstream's: {@code host} is the instance's address, {@code client} the caller's. */
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
        headers.add(X_FORWARDED_FOR, client);
        if (clientHost != null && !clientHost.isEmpty()) {
            headers.add(X_FORWARDED_HOST, clientHost);
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
