package dev.isola.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Status and headers of a response read from an instance, with the framing facts the proxy needs. */
final class UpstreamResponse {
    final int status;
    final boolean http10;
    final List<String[]> headers = new ArrayList<>();
    long contentLength = -1;
    boolean chunked;
    boolean connectionClose;

    UpstreamResponse(int status, boolean http10) {
        this.status = status;
        this.http10 = http10;
        this.connectionClose = http10;
    }

    void add(String name, String value) {
        String lower = name.toLowerCase(Locale.ROOT);
        switch (lower) {
            case "content-length" -> contentLength = parseLength(value);
            case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
            case "connection" -> {
                String v = value.toLowerCase(Locale.ROOT);
                connectionClose = v.contains("close") || (http10 && !v.contains("keep-alive"));
            }
            default -> {
                if (!HopByHop.isLowerCase(lower)) {
                    headers.add(new String[] {name, value});
                }
            }
        }
    }

    /** Whether the status forbids a body (RFC 9112 section 6.3). HEAD is handled by the caller. */
    boolean bodyless() {
        return status / 100 == 1 || status == 204 || status == 304;
    }

    private static long parseLength(String value) {
        try {
            long n = Long.parseLong(value.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalStateException("invalid Content-Length from the function: " + value);
        }
    }
}
