package dev.isola.dispatch;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;

/**
 * One readiness probe of a starting instance: whether its endpoint accepts a TCP connection now. The gateway passes
 * one with each call that may start an instance, which keeps the accepted connection for that call; starts that are
 * not for a call (pre-warming, scaling up to the minimum) use {@link #CONNECT}, which opens and closes one.
 */
@FunctionalInterface
public interface EndpointProbe {
    /** A refused connect comes back at once; a SYN that is lost (the sandbox's network still coming up) is not. */
    int CONNECT_TIMEOUT_MILLIS = 50;

    /**
     * A plain connect and close. {@link Proxy#NO_PROXY}: a plain {@code new Socket()} asks the default proxy selector
     * on every connect.
     */
    EndpointProbe CONNECT = (instanceId, endpoint) -> {
        try (Socket socket = new Socket(Proxy.NO_PROXY)) {
            socket.connect(endpoint, CONNECT_TIMEOUT_MILLIS);
            return true;
        } catch (IOException e) {
            return false;
        }
    };

    boolean accepts(String instanceId, InetSocketAddress endpoint);
}
