package dev.isola.gateway;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A new connection to the upstream for a {@link ProxyExchange} (the pool had none idle, or the one it lent had been
 * closed), and what its outcome means for the exchange: connected, the request goes out on it; refused by a freshly
 * started instance, it is tried again every {@value #RETRY_MILLIS} ms for up to {@value #RETRY_WINDOW_MILLIS} ms after
 * the first refusal (an instance may say it is ready a moment before it listens; nothing was sent yet); anything
 * else is the exchange's {@link ProxyExchange#connectFailed}: another instance, once, or a 502 that says what
 * happened. One is made per new connection, as the listener it replaces was, so the warm path (a pooled connection)
 * makes none.
 */
final class UpstreamConnect implements ChannelFutureListener {
    private static final System.Logger LOG = System.getLogger(ProxyExchange.class.getName());
    private static final long RETRY_MILLIS = 10;
    private static final long RETRY_WINDOW_MILLIS = 1_000;
    /** How a connection that was not accepted in time is described (the rest says how long it waited). */
    static final String TIMED_OUT = "no connection within ";

    private final ProxyExchange exchange;
    private final ProxyTarget target;
    private final String key;
    private final InetSocketAddress endpoint;
    private long firstRefusedNanos;

    UpstreamConnect(ProxyExchange exchange, ProxyTarget target, String key, InetSocketAddress endpoint) {
        this.exchange = exchange;
        this.target = target;
        this.key = key;
        this.endpoint = endpoint;
    }

    void start() {
        exchange.front().upstreams().connect(key, endpoint).addListener(this);
    }

    @Override
    public void operationComplete(ChannelFuture connecting) {
        if (exchange.state() == ProxyState.DONE) { // the client left, or the timeout passed, meanwhile
            connecting.channel().close();
        } else if (connecting.isSuccess()) {
            exchange.use(connecting.channel());
        } else if (refused(connecting.cause()) && target.fresh() && mayRetry()) {
            exchange.loop().schedule(() -> {
                if (exchange.state() != ProxyState.DONE) {
                    start();
                }
            }, RETRY_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            exchange.connectFailed(why(connecting.cause()));
        }
    }

    private static String why(Throwable cause) {
        if (refused(cause)) {
            return "connection refused";
        }
        return cause instanceof ConnectTimeoutException ? TIMED_OUT + UpstreamPool.CONNECT_TIMEOUT_MILLIS
                + " ms" : "no connection: " + ProxyExchange.describe(cause);
    }

    /**
     * ECONNREFUSED alone: Netty's native transport reports every failed connect as a ConnectException with the
     * error's text ("Cannot assign requested address", "Network is unreachable"), which is no fresh instance's doing.
     */
    private static boolean refused(Throwable cause) {
        if (!(cause instanceof ConnectException) || cause instanceof ConnectTimeoutException) {
            return false;
        }
        String message = cause.getMessage();
        return message == null || message.toLowerCase(Locale.ROOT).contains("refused");
    }

    /** Whether a refusal is still within {@value #RETRY_WINDOW_MILLIS} ms of the first one. */
    private boolean mayRetry() {
        long now = exchange.front().ticker().nanos();
        if (firstRefusedNanos == 0) {
            firstRefusedNanos = now;
            LOG.log(System.Logger.Level.INFO, () -> target.label() + ": refused the first connection after it was "
                    + "ready (" + endpoint + "); trying again for up to " + RETRY_WINDOW_MILLIS + " ms");
        }
        return now - firstRefusedNanos < TimeUnit.MILLISECONDS.toNanos(RETRY_WINDOW_MILLIS);
    }
}
