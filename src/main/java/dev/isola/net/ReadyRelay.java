package dev.isola.net;

import dev.isola.Ticker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Carries readiness callbacks from VMs on the bridge to the platform's readiness endpoint on loopback.
 *
 * <p>Why: the firewall keeps instances from connecting to any host port, the gateway's included, so a guest cannot
 * call {@code ISOLA_READY_URL} directly. The relay listens on the bridge's own address, on one port the firewall
 * opens to live VMs only, and knows nothing but the exact paths the platform exposed: any other request gets 404 and
 * is never forwarded, so this port gives an instance no way to the admin API. A path carries the instance id and a
 * random nonce, so one instance cannot mark another ready.
 *
 * <p>Limits, so that a guest cannot tie the relay up: only addresses {@code admitted} says are live VMs' are served
 * (containers never call it: the launcher probes them), and the bridge's filter keeps an instance from using another's
 * address; each address has at most one connection at a time (a second is closed at once); and a whole exchange has
 * {@code deadline} — a guest that sends its request a byte at a time is cut off when it runs out, not after a pause
 * between two bytes. Refused connections are closed without a word.
 */
final class ReadyRelay implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ReadyRelay.class.getName());
    private static final int MAX_REQUEST_HEAD = 4096;
    /** A guest's init calls once it listens; a healthy call takes milliseconds, the forward to loopback as well. */
    static final Duration DEADLINE = Duration.ofSeconds(5);

    private final ServerSocket socket;
    private final Predicate<InetAddress> admitted;
    private final Duration deadline;
    private final Ticker ticker;
    private final Map<String, URI> targets = new ConcurrentHashMap<>();
    private final Set<InetAddress> connected = ConcurrentHashMap.newKeySet();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ReadyRelay(ServerSocket socket, Predicate<InetAddress> admitted, Duration deadline, Ticker ticker) {
        this.socket = socket;
        this.admitted = admitted;
        this.deadline = deadline;
        this.ticker = ticker;
    }

    /** A relay on {@code address} that serves only peers {@code admitted} accepts, each exchange within {@code deadline}. */
    static ReadyRelay open(InetAddress address, Predicate<InetAddress> admitted, Duration deadline, Ticker ticker) {
        try {
            ServerSocket server = new ServerSocket();
            server.bind(new InetSocketAddress(address, 0));
            ReadyRelay relay = new ReadyRelay(server, admitted, deadline, ticker);
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
                InetAddress peer = connection.getInetAddress();
                if (admitted.test(peer) && connected.add(peer)) {
                    Thread.ofVirtual().name("isola-ready-relay-conn").start(() -> serve(connection, peer));
                } else {
                    refuse(connection);
                }
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    LOG.log(System.Logger.Level.WARNING, "ready-relay: accept failed: " + e.getMessage());
                }
            }
        }
    }

    /** Closes with a reset: the peer learns at once, and no connection lingers in TIME_WAIT on the host. */
    private static void refuse(Socket connection) {
        try (connection) {
            connection.setSoLinger(true, 0);
        } catch (IOException e) {
            // Gone already.
        }
    }

    private void serve(Socket connection, InetAddress peer) {
        long end = ticker.nanos() + deadline.toNanos();
        boolean released = false;
        try (connection) {
            String requestLine = readHead(connection, end);
            String[] parts = requestLine.split(" ");
            URI target = parts.length == 3 ? targets.remove(parts[1]) : null;
            int status = target == null ? 404 : forward(target, end);
            // Its turn ends before it hears the answer: a guest that calls again once answered is not refused.
            connected.remove(peer);
            released = true;
            OutputStream out = connection.getOutputStream();
            out.write(("HTTP/1.1 " + status + (status < 300 ? " OK" : status == 404 ? " Not Found" : " Bad Gateway")
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // The guest went away mid-request or ran out of time; the launcher's probe still notices readiness.
        } finally {
            if (!released) {
                connected.remove(peer);
            }
        }
    }

    private int forward(URI target, long end) {
        try {
            Duration left = Duration.ofNanos(Math.max(end - ticker.nanos(), TimeUnit.MILLISECONDS.toNanos(1)));
            return client.send(HttpRequest.newBuilder(target).POST(HttpRequest.BodyPublishers.noBody())
                    .timeout(left).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 502;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 503;
        }
    }

    /**
     * The request line; the headers up to the blank line are read and ignored (a callback has no body). Each read
     * may wait only for what is left of the deadline.
     */
    private String readHead(Socket connection, long end) throws IOException {
        InputStream in = connection.getInputStream();
        byte[] head = new byte[MAX_REQUEST_HEAD];
        int length = 0;
        while (length < head.length && !endsHead(head, length)) {
            long left = TimeUnit.NANOSECONDS.toMillis(end - ticker.nanos());
            if (left <= 0) {
                throw new SocketTimeoutException("request not complete within " + deadline.toMillis() + " ms");
            }
            connection.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
            int n = in.read(head, length, head.length - length);
            if (n < 0) {
                break;
            }
            length += n;
        }
        String text = new String(head, 0, length, StandardCharsets.US_ASCII);
        int lineEnd = text.indexOf("\r\n");
        return lineEnd < 0 ? text : text.substring(0, lineEnd);
    }

    private static boolean endsHead(byte[] head, int length) {
        return length >= 4 && head[length - 4] == '\r' && head[length - 3] == '\n' && head[length - 2] == '\r'
                && head[length - 1] == '\n';
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
