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

    /** Event loops for this host ({@link #defaultThreads(int)}). */
    static int defaultThreads() {
        return defaultThreads(Runtime.getRuntime().availableProcessors());
    }

    /**
     * One loop per core, as nginx's {@code worker_processes auto}, on hosts of more than two cores; one on smaller
     * hosts. There the clients, the functions and the gateway share the cores, and a loop that batches every
     * connection's events per wake-up leaves more of them to the rest than two loops that each wake for their half:
     * wrk at c=64 on two cores, 32,900 against 28,200 calls/s, hey 17,800 against 17,100 (eight alternated rounds;
     * nginx with one worker 36,900 and 18,200).
     */
    static int defaultThreads(int cores) {
        return cores > 2 ? cores : 1;
    }
}
