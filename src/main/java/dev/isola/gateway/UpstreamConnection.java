package dev.isola.gateway;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * One keep-alive HTTP/1.1 connection from the gateway to an instance, used by one request at a time.
 *
 * <p>The upstream is always an Isola instance we started and the gateway is the only client, so this is a deliberately
 * small blocking client (HTTP/1.1, Content-Length or chunked framing, no TLS, no redirects): on a virtual thread it
 * writes the request head in one syscall and reads the response with no extra thread hop, which is what keeps the
 * proxy's added latency near nginx's. It buffers reads itself instead of wrapping a {@code BufferedInputStream}:
 * response heads are parsed byte by byte, and that class takes a lock on every {@code read()}.
 */
final class UpstreamConnection implements AutoCloseable {
    private static final int MAX_HEAD_LINE = 16 * 1024;
    private static final int MAX_HEADERS = 200;

    private final Socket socket;
    private final InputStream raw;
    private final OutputStream out;
    private final byte[] buf = new byte[16 * 1024];
    private int pos;
    private int limit;
    private final InputStream body = new BodyStream();
    private long idleSinceNanos;

    private UpstreamConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.raw = socket.getInputStream();
        this.out = new java.io.BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    }

    static UpstreamConnection open(InetSocketAddress endpoint, int connectTimeoutMillis) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(endpoint, connectTimeoutMillis);
            return new UpstreamConnection(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    OutputStream out() {
        return out;
    }

    /** The bytes after the response head: buffered ones first, then the socket. */
    InputStream in() {
        return body;
    }

    void readTimeout(int millis) throws SocketException {
        socket.setSoTimeout(millis);
    }

    long idleSinceNanos() {
        return idleSinceNanos;
    }

    void markIdle(long nanos) {
        idleSinceNanos = nanos;
    }

    private boolean fill() throws IOException {
        int n = raw.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    /** Reads one CRLF- (or LF-) terminated ASCII line; EOF before any byte throws {@link EOFException}. */
    String readLine() throws IOException {
        StringBuilder partial = null;
        while (true) {
            if (pos == limit && !fill()) {
                if (partial == null) {
                    throw new EOFException("connection closed by the function");
                }
                throw new IOException("connection closed in the middle of a response line");
            }
            int start = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            if (pos < limit) {
                int end = pos++;
                String tail = new String(buf, start, end - start, StandardCharsets.ISO_8859_1);
                String line = partial == null ? tail : partial.append(tail).toString();
                return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
            }
            if (partial == null) {
                partial = new StringBuilder(128);
            }
            partial.append(new String(buf, start, pos - start, StandardCharsets.ISO_8859_1));
            if (partial.length() > MAX_HEAD_LINE) {
                throw new IOException("response line longer than " + MAX_HEAD_LINE + " bytes");
            }
        }
    }

    UpstreamResponse readResponseHead() throws IOException {
        String status = readLine();
        if (!status.startsWith("HTTP/1.") || status.length() < 12) {
            throw new IOException("malformed status line from the function: " + printable(status));
        }
        int code;
        try {
            code = Integer.parseInt(status.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("malformed status code from the function: " + printable(status));
        }
        boolean http10 = status.startsWith("HTTP/1.0");
        UpstreamResponse response = new UpstreamResponse(code, http10);
        for (int i = 0; ; i++) {
            String line = readLine();
            if (line.isEmpty()) {
                return response;
            }
            if (i >= MAX_HEADERS) {
                throw new IOException("more than " + MAX_HEADERS + " response headers from the function");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed response header from the function: " + printable(line));
            }
            response.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
    }

    private static String printable(String s) {
        String cut = s.length() > 100 ? s.substring(0, 100) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing a socket we no longer use; nothing to do.
        }
    }

    /** Body bytes: what the head parser buffered past the head, then straight from the socket. */
    private final class BodyStream extends InputStream {
        @Override
        public int read() throws IOException {
            if (pos == limit && !fill()) {
                return -1;
            }
            return buf[pos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos < limit) {
                int n = Math.min(len, limit - pos);
                System.arraycopy(buf, pos, b, off, n);
                pos += n;
                return n;
            }
            return raw.read(b, off, len);
        }
    }
}
