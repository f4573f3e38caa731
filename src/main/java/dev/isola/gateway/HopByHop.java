package dev.isola.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.List;

/**
 * Headers that describe one connection, not the message, and so are never forwarded (RFC 9110 section 7.6.1). The
 * framing headers (Content-Length, Transfer-Encoding) stay: the proxy keeps each message's framing as it came.
 */
final class HopByHop {
    private static final List<CharSequence> NAMES = List.of(HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION, "proxy-connection",
            HttpHeaderNames.TE, HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE);

    private HopByHop() {
    }

    /** Removes the hop-by-hop headers, including those the Connection header names. */
    static void removeFrom(HttpHeaders headers) {
        for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : connection.split(",")) {
                String name = token.trim();
                if (!name.isEmpty() && !isFraming(name)) {
                    headers.remove(name);
                }
            }
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        for (CharSequence name : NAMES) {
            headers.remove(name);
        }
    }

    private static boolean isFraming(String name) {
        return HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name);
    }
}
