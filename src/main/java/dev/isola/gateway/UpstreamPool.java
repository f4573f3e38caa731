package dev.isola.gateway;

import dev.isola.dispatch.Ticker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Idle keep-alive connections per instance. LIFO, so the most recently used (warmest) connection is reused and the
 * others age out. A connection idle longer than {@link #MAX_IDLE_NANOS} is dropped instead of reused: Node.js closes
 * idle keep-alive connections after 5 s, and reusing one the function is closing makes the request fail.
 */
final class UpstreamPool {
    static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(4);
    private static final int MAX_IDLE_PER_INSTANCE = 256;
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

    private final Map<String, Idle> idle = new ConcurrentHashMap<>();
    private final Ticker ticker;

    UpstreamPool(Ticker ticker) {
        this.ticker = ticker;
    }

    /** A pooled connection if one is fresh enough, else a new one. {@code reused} tells the caller which. */
    Borrowed borrow(String instanceId, InetSocketAddress endpoint) throws IOException {
        Idle pooled = idle.get(instanceId);
        if (pooled != null) {
            UpstreamConnection c;
            long now = ticker.nanos();
            while ((c = pooled.poll()) != null) {
                if (now - c.idleSinceNanos() < MAX_IDLE_NANOS) {
                    return new Borrowed(c, true);
                }
                c.close();
            }
        }
        return new Borrowed(UpstreamConnection.open(endpoint, CONNECT_TIMEOUT_MILLIS), false);
    }

    UpstreamConnection connectFresh(InetSocketAddress endpoint) throws IOException {
        return UpstreamConnection.open(endpoint, CONNECT_TIMEOUT_MILLIS);
    }

    void giveBack(String instanceId, UpstreamConnection connection) {
        Idle pooled = idle.computeIfAbsent(instanceId, k -> new Idle());
        connection.markIdle(ticker.nanos());
        if (!pooled.offer(connection)) {
            connection.close();
        }
    }

    /** Closes every pooled connection of a retired instance. */
    void forget(String instanceId) {
        Idle pooled = idle.remove(instanceId);
        if (pooled != null) {
            UpstreamConnection c;
            while ((c = pooled.poll()) != null) {
                c.close();
            }
        }
    }

    void closeAll() {
        idle.keySet().forEach(this::forget);
    }

    /** A LIFO stack of idle connections with an O(1) size (ConcurrentLinkedDeque.size() walks the whole list). */
    private static final class Idle {
        private final Deque<UpstreamConnection> stack = new ConcurrentLinkedDeque<>();
        private final AtomicInteger size = new AtomicInteger();

        boolean offer(UpstreamConnection c) {
            if (size.incrementAndGet() > MAX_IDLE_PER_INSTANCE) {
                size.decrementAndGet();
                return false;
            }
            stack.addFirst(c);
            return true;
        }

        UpstreamConnection poll() {
            UpstreamConnection c = stack.pollFirst();
            if (c != null) {
                size.decrementAndGet();
            }
            return c;
        }
    }

    record Borrowed(UpstreamConnection connection, boolean reused) {
    }
}
