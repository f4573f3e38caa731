package dev.isola.gateway;

import io.netty.channel.DefaultSelectStrategyFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategyFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.nio.channels.spi.SelectorProvider;

/**
 * The gateway's event loops and the socket classes that go with them: Linux epoll when Netty's native library loads
 * (the normal case on a Debian host), Java NIO otherwise. Client and upstream sockets share the loops, so one
 * request is served start to end by one thread without a hand-off.
 */
record EdgeTransport(EventLoopGroup group, Class<? extends ServerChannel> serverChannel,
                     Class<? extends SocketChannel> socketChannel, String name) {

    /** {@code spinNanos}: how long a loop polls before it blocks, while waits are short (0: it never polls). */
    static EdgeTransport create(int threads, long spinNanos) {
        DefaultThreadFactory names = new DefaultThreadFactory("isola-gateway", true);
        SelectStrategyFactory strategy = spinNanos > 0 ? () -> new SpinBeforeBlocking(spinNanos)
                : DefaultSelectStrategyFactory.INSTANCE;
        if (Epoll.isAvailable()) {
            return new EdgeTransport(new MultiThreadIoEventLoopGroup(threads, names,
                    EpollIoHandler.newFactory(0, strategy)), EpollServerSocketChannel.class, EpollSocketChannel.class,
                    "epoll");
        }
        return new EdgeTransport(new MultiThreadIoEventLoopGroup(threads, names,
                NioIoHandler.newFactory(SelectorProvider.provider(), strategy)), NioServerSocketChannel.class,
                NioSocketChannel.class, "nio");
    }

    /** Event loops for this host: one per core, which is also what nginx's {@code worker_processes auto} picks. */
    static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }
}
