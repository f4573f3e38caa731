package dev.isola.gateway;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
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
 * proxy's added latency near nginx's.
 */
final class UpstreamConnection implements AutoCloseable {
    private static final int MAX_HEAD_LINE = 16 * 1024;
    private static final int MAX_HEADERS = 200;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private long idleSinceNanos;

    private UpstreamConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
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

    InputStream in() {
        return in;
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

    /** Reads one CRLF- (or LF-) terminated ASCII line; EOF before any byte throws {@link EOFException}. */
    String readLine() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (line.isEmpty()) {
                    throw new EOFException("connection closed by the function");
                }
                throw new IOException("connection closed in the middle of a response line");
            }
            if (b == '\n') {
                int len = line.length();
                if (len > 0 && line.charAt(len - 1) == '\r') {
                    line.setLength(len - 1);
                }
                return line.toString();
            }
            if (line.length() >= MAX_HEAD_LINE) {
                throw new IOException("response line longer than " + MAX_HEAD_LINE + " bytes");
            }
            line.append((char) b);
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
        return new String(cut.getBytes(StandardCharsets.US_ASCII), StandardCharsets.US_ASCII)
                .replaceAll("[^\\x20-\\x7e]", "?");
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing a socket we no longer use; nothing to do.
        }
    }
}
