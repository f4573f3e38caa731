package dev.isola.gateway;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of a connection to an instance: hands what the instance sends to the exchange that currently
 * borrows the connection. Between exchanges (pooled) the connection has none, and anything the instance sends then
 * is a protocol error that ends the connection.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private ProxyExchange exchange;

    static UpstreamHandler of(Channel channel) {
        return channel.pipeline().get(UpstreamHandler.class);
    }

    void attach(ProxyExchange current) {
        this.exchange = current;
    }

    void detach() {
        this.exchange = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (exchange != null && msg instanceof HttpObject http) {
            exchange.fromUpstream(http);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.upstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null && ctx.channel().isWritable()) {
            exchange.upstreamWritable();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ProxyExchange current = exchange;
        exchange = null;
        if (current != null) {
            current.upstreamClosed(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ProxyExchange current = exchange;
        exchange = null;
        ctx.close();
        if (current != null) {
            current.upstreamClosed(cause);
        }
    }
}
