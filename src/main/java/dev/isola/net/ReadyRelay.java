package dev.isola.net;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Carries readiness callbacks from instances on the bridge to the platform's readiness endpoint on loopback.
 *
 * <p>Why: the firewall keeps instances from connecting to any host port, the gateway's included, so a guest cannot
 * call {@code ISOLA_READY_URL} directly. The relay listens on the bridge's own address, on one port the firewall
 * opens, and knows nothing but the exact paths the platform exposed: any other request gets 404 and is never
 * forwarded, so this port gives an instance no way to the admin API. A path carries the instance id and a random
 * nonce, so one instance cannot mark another ready.
 */
final class ReadyRelay implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ReadyRelay.class.getName());
    private static final int MAX_REQUEST_HEAD = 4096;
    private static final int READ_TIMEOUT_MILLIS = 2_000;

    private final ServerSocket socket;
    private final Map<String, URI> targets = new ConcurrentHashMap<>();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ReadyRelay(ServerSocket socket) {
        this.socket = socket;
    }

    static ReadyRelay open(InetAddress address) {
        try {
            ServerSocket server = new ServerSocket();
            server.bind(new InetSocketAddress(address, 0));
            ReadyRelay relay = new ReadyRelay(server);
            Thread.ofVirtual().name("isola-ready-relay").start(relay::acceptLoop);
            return relay;
        } catch (IOException e) {
            throw new NetworkException("Failed to open the readiness relay on " + address.getHostAddress()
                    + ": " + e.getMessage(), e);
        }
    }

    int port() {
        return socket.getLocalPort();
    }

    URI expose(URI readyUrl) {
        targets.put(readyUrl.getRawPath(), readyUrl);
        return URI.create("http://" + socket.getInetAddress().getHostAddress() + ":" + port()
                + readyUrl.getRawPath());
    }

    void forget(URI readyUrl) {
        targets.remove(readyUrl.getRawPath());
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                Thread.ofVirtual().name("isola-ready-relay-conn").start(() -> serve(connection));
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    LOG.log(System.Logger.Level.WARNING, "ready-relay: accept failed: " + e.getMessage());
                }
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            connection.setSoTimeout(READ_TIMEOUT_MILLIS);
            String requestLine = readHead(new BufferedInputStream(connection.getInputStream(), 1024));
            String[] parts = requestLine.split(" ");
            URI target = parts.length == 3 ? targets.remove(parts[1]) : null;
            int status = target == null ? 404 : forward(target);
            OutputStream out = connection.getOutputStream();
            out.write(("HTTP/1.1 " + status + (status < 300 ? " OK" : status == 404 ? " Not Found" : " Bad Gateway")
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // The guest went away mid-request; the launcher's probe still notices readiness.
        }
    }

    private int forward(URI target) {
        try {
            return client.send(HttpRequest.newBuilder(target).POST(HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 502;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 503;
        }
    }

    /** The request line; the headers up to the blank line are read and ignored (a callback has no body). */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && head.length() < MAX_REQUEST_HEAD) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        int end = head.indexOf("\r\n");
        return end < 0 ? head.toString() : head.substring(0, end);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing anyway.
        }
    }
}
