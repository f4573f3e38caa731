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
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.nio.channels.spi.SelectorProvider;

/**
 * The gateway's event loops and the socket classes that go with them. Client and upstream sockets share the loops, so
 * one request is served start to end by one thread without a hand-off.
 *
 * <p>Where the kernel offers it, the loops use io_uring: a loop hands the kernel every receive and send it has for
 * all its connections in one system call, where epoll costs one each (a proxied call is four: the request in and
 * out, the answer in and out). On a virtual machine, where entering the kernel is dear, that was the gateway's gap
 * to nginx: wrk at c=64 on two cores, gateway/nginx 1.07 on io_uring against 0.84 on epoll, hey 1.19 against 1.03
 * (five alternated rounds, one run; {@code bench/gateway-latency.sh} with {@code COMPARE_ENV}). Epoll stays where
 * the loops poll before they block ({@link SpinBeforeBlocking} is a select strategy, which io_uring's loop has not),
 * where io_uring is unavailable (a kernel too old for Netty's io_uring, or one that turned it off) and where the
 * operator asks for it; Java NIO where neither native library loads.
 */
record EdgeTransport(EventLoopGroup group, Class<? extends ServerChannel> serverChannel,
                     Class<? extends SocketChannel> socketChannel, String name) {

    /**
     * @param kind      {@code auto}: io_uring when available and {@code spinNanos} is 0, else epoll when available,
     *                  else NIO; {@code io_uring}, {@code epoll}: that one, or a failure that says why not;
     *                  {@code nio}: Java NIO
     * @param spinNanos how long a loop polls before it blocks, while waits are short (0: it never polls); io_uring's
     *                  loops never poll
     */
    static EdgeTransport create(String kind, int threads, long spinNanos) {
        DefaultThreadFactory names = new DefaultThreadFactory("isola-gateway", true);
        SelectStrategyFactory strategy = spinNanos > 0 ? () -> new SpinBeforeBlocking(spinNanos)
                : DefaultSelectStrategyFactory.INSTANCE;
        switch (kind) {
            case "io_uring" -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalStateException("gatewayTransport io_uring is not available on this host: "
                            + IoUring.unavailabilityCause());
                }
                return ioUring(threads, names);
            }
            case "epoll" -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("gatewayTransport epoll is not available on this host: "
                            + Epoll.unavailabilityCause());
                }
                return epoll(threads, names, strategy);
            }
            case "nio" -> {
                return nio(threads, names, strategy);
            }
            default -> {
                if (spinNanos == 0 && IoUring.isAvailable()) {
                    return ioUring(threads, names);
                }
                return Epoll.isAvailable() ? epoll(threads, names, strategy) : nio(threads, names, strategy);
            }
        }
    }

    private static EdgeTransport ioUring(int threads, DefaultThreadFactory names) {
        return new EdgeTransport(new MultiThreadIoEventLoopGroup(threads, names, IoUringIoHandler.newFactory()),
                IoUringServerSocketChannel.class, IoUringSocketChannel.class, "io_uring");
    }

    private static EdgeTransport epoll(int threads, DefaultThreadFactory names, SelectStrategyFactory strategy) {
        return new EdgeTransport(new MultiThreadIoEventLoopGroup(threads, names,
                EpollIoHandler.newFactory(0, strategy)), EpollServerSocketChannel.class, EpollSocketChannel.class,
                "epoll");
    }

    private static EdgeTransport nio(int threads, DefaultThreadFactory names, SelectStrategyFactory strategy) {
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
