package dev.isola.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** HTTP/1.1 chunked transfer coding, both directions, streaming (RFC 9112 section 7.1). */
final class ChunkedBody {
    private ChunkedBody() {
    }

    /** Copies a chunked body from {@code upstream} to {@code sink}, decoding it; returns the bytes copied. */
    static long decode(UpstreamConnection upstream, OutputStream sink, byte[] buffer) throws IOException {
        InputStream in = upstream.in();
        long total = 0;
        while (true) {
            String sizeLine = upstream.readLine();
            int semicolon = sizeLine.indexOf(';');
            String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("malformed chunk size from the function");
            }
            if (size < 0) {
                throw new IOException("malformed chunk size from the function");
            }
            if (size == 0) {
                // Trailers are dropped; read up to the blank line that ends the message.
                while (!upstream.readLine().isEmpty()) {
                    // skip trailer field
                }
                return total;
            }
            Streams.copyExactly(in, sink, size, buffer);
            total += size;
            if (!upstream.readLine().isEmpty()) {
                throw new IOException("missing CRLF after a chunk from the function");
            }
        }
    }

    /** Sends everything from {@code body} as chunks, then the last chunk. */
    static long encode(InputStream body, OutputStream out, byte[] buffer) throws IOException {
        long total = 0;
        int n;
        while ((n = body.read(buffer)) > 0) {
            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(buffer, 0, n);
            out.write(CRLF);
            total += n;
        }
        out.write(LAST_CHUNK);
        return total;
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
}
