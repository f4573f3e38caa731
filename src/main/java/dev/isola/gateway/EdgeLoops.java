package dev.isola.gateway;

import dev.isola.Ticker;
import dev.isola.dispatch.InstanceEvents;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The edge's event loops and, per loop, its keep-alive connections to instances ({@link UpstreamPool}). Made before
 * the dispatcher, which tells them of instances going away ({@link InstanceEvents}), and closed after it.
 */
public final class EdgeLoops implements InstanceEvents, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EdgeLoops.class.getName());
    private static final int CLOSE_WAIT_SECONDS = 5;

    private final EdgeTransport transport;
    private final Map<EventLoop, UpstreamPool> pools;

    private EdgeLoops(EdgeTransport transport, Map<EventLoop, UpstreamPool> pools) {
        this.transport = transport;
        this.pools = Map.copyOf(pools);
    }

    /**
     * @param threads    event loops; 0 picks {@link EdgeTransport#defaultThreads(int)}
     * @param spinMicros how long a loop polls before it blocks, while waits are short (0: it never polls)
     * @param kind       {@code auto}, {@code io_uring}, {@code epoll} or {@code nio} ({@link EdgeTransport#create})
     */
    public static EdgeLoops create(int threads, int spinMicros, String kind, Ticker ticker) {
        int count = threads > 0 ? threads : EdgeTransport.defaultThreads();
        EdgeTransport transport = EdgeTransport.create(kind, count, TimeUnit.MICROSECONDS.toNanos(spinMicros));
        boolean polls = spinMicros > 0 && !transport.name().equals("io_uring");
        LOG.log(System.Logger.Level.INFO, "gateway: " + count + " event loop(s) on "
                + transport.name() + (polls ? ", polling up to " + spinMicros + " µs before they block" : ""));
        Map<EventLoop, UpstreamPool> pools = new HashMap<>();
        for (EventExecutor loop : transport.group()) {
            pools.put((EventLoop) loop, new UpstreamPool((EventLoop) loop, transport.socketChannel(), ticker));
        }
        return new EdgeLoops(transport, pools);
    }

    EdgeTransport transport() {
        return transport;
    }

    UpstreamPool upstreams(EventLoop loop) {
        return pools.get(loop);
    }

    @Override
    public void retired(String instanceId) {
        pools.values().forEach(p -> p.forget(instanceId));
    }

    @Override
    public void exited(String instanceId) {
        pools.values().forEach(p -> p.drop(instanceId));
    }

    /**
     * Stops the loops. Bounded: a loop that died (say, of a class that could not be loaded because the jar was
     * replaced under the running server) never reports its end, and shutdown must go on anyway.
     */
    @Override
    public void close() {
        pools.values().forEach(UpstreamPool::closeAll);
        if (!transport.group().shutdownGracefully(0, 2, TimeUnit.SECONDS)
                .awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
            LOG.log(System.Logger.Level.WARNING, "gateway: event loops did not stop within " + CLOSE_WAIT_SECONDS
                    + " s; going on with the shutdown");
        }
    }
}
