package dev.isola.gateway;

import dev.isola.dispatch.EndpointProbe;
import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The gateway's readiness probe: when a start is for a request ({@link #REQUEST_LOOP} is bound, by
 * {@link InvocationTarget}), it connects from that request's event loop and keeps the connection the instance
 * accepts for the request ({@link UpstreamPool#probe}), which the instance then answers on the connection it already
 * accepted. Other starts (pre-warming, scaling up to the minimum) connect and close.
 */
final class FirstConnections implements EndpointProbe {
    /** The event loop of the request an instance is being started for, on the thread that starts it. */
    static final ScopedValue<EventLoop> REQUEST_LOOP = ScopedValue.newInstance();

    /**
     * The connect itself times out after {@value EndpointProbe#CONNECT_TIMEOUT_MILLIS} ms; this bounds the wait for a
     * loop that shut down under the probe and will not answer.
     */
    private static final long MAX_WAIT_MILLIS = 1_000;

    private final Map<EventLoop, UpstreamPool> pools;

    FirstConnections(Map<EventLoop, UpstreamPool> pools) {
        this.pools = Map.copyOf(pools);
    }

    @Override
    public boolean accepts(String instanceId, InetSocketAddress endpoint) {
        UpstreamPool pool = REQUEST_LOOP.isBound() ? pools.get(REQUEST_LOOP.get()) : null;
        if (pool == null) {
            return EndpointProbe.connects(endpoint);
        }
        try {
            return pool.probe(instanceId, endpoint).get(MAX_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false; // the loop shut down under the probe: the launcher's next check says why
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
