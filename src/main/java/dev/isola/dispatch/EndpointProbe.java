package dev.isola.dispatch;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;

/**
 * One readiness probe of a starting instance: whether its endpoint accepts a TCP connection now. The gateway installs
 * one that keeps the accepted connection for the request the instance is started for ({@link Readiness#probeWith});
 * without it, {@link #connects} opens and closes a connection.
 */
@FunctionalInterface
public interface EndpointProbe {
    /** A refused connect comes back at once; a SYN that is lost (the sandbox's network still coming up) is not. */
    int CONNECT_TIMEOUT_MILLIS = 50;

    boolean accepts(String instanceId, InetSocketAddress endpoint);

    /** {@link Proxy#NO_PROXY}: a plain {@code new Socket()} asks the default proxy selector on every connect. */
    static boolean connects(InetSocketAddress endpoint) {
        try (Socket socket = new Socket(Proxy.NO_PROXY)) {
            socket.connect(endpoint, CONNECT_TIMEOUT_MILLIS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
