package dev.isola.gateway;

import dev.isola.dispatch.EndpointProbe;
import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The gateway's readiness probe: when a start is for a request ({@link #REQUEST_LOOP} is bound, by
 * {@link InvocationTarget}), it connects from that request's event loop and keeps the connection the instance
 * accepts for the request ({@link UpstreamPool#probe}), which the instance then answers on the connection it already
 * accepted. Other starts (pre-warming, scaling up to the minimum) connect and close.
 */
final class FirstConnections implements EndpointProbe {
    /** The event loop of the request an instance is being started for, on the thread that starts it. */
    static final ScopedValue<EventLoop> REQUEST_LOOP = ScopedValue.newInstance();

    private final Map<EventLoop, UpstreamPool> pools;

    FirstConnections(Map<EventLoop, UpstreamPool> pools) {
        this.pools = Map.copyOf(pools);
    }

    @Override
    public boolean accepts(String instanceId, InetSocketAddress endpoint) {
        UpstreamPool pool = REQUEST_LOOP.isBound() ? pools.get(REQUEST_LOOP.get()) : null;
        return pool != null ? pool.probe(instanceId, endpoint).join() : EndpointProbe.connects(endpoint);
    }
}
