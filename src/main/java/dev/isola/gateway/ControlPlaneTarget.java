package dev.isola.gateway;

import io.netty.handler.codec.http.HttpHeaders;

import java.net.InetSocketAddress;

/**
 * The admin API, {@code /metrics} and everything else that is not an invocation: served by the control-plane server
 * on a loopback port, reached through the same proxy. These requests are rare and may run long (a deploy builds the
 * function), so there is no timeout here and no accounting.
 */
final class ControlPlaneTarget implements ProxyTarget {
    static final String POOL_KEY = "control-plane";

    private final InetSocketAddress endpoint;

    ControlPlaneTarget(InetSocketAddress endpoint) {
        this.endpoint = endpoint;
    }

    @Override
    public void open(ProxyExchange exchange) {
        exchange.opened(endpoint, POOL_KEY, 0);
    }

    @Override
    public void decorate(HttpHeaders headers) {
    }

    @Override
    public void finish(int status, boolean healthy) {
    }

    @Override
    public String label() {
        return "control plane";
    }

    @Override
    public String describeFailure(String cause) {
        return "the control plane failed to answer (" + cause + ")";
    }
}
