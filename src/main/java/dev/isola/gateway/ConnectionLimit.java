package dev.isola.gateway;

import dev.isola.api.ErrorBody;
import dev.isola.api.ErrorCode;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cap on open client connections ({@code maxClientConnections}), across all event loops. A connection past it is
 * accepted, answered {@code 503 unavailable} with {@code Connection: close} and {@code Retry-After: 1}, and closed:
 * a client, or a load balancer in front, then learns that this node is full rather than broken, and when to try
 * again; a bare close looks like a crash, which most clients report as a network error and do not retry on a new
 * connection. The answer is written at once, before the request is read (it would cost what the cap is there to
 * save), as servers do with an unsolicited 408, and the connection ends with a {@link LingeringClose}, so that the
 * request left unread does not turn the close into a reset that destroys the 503 before the client reads it.
 *
 * <p>A refused connection lingers up to a second, so at a thousand refusals a second they would hold a thousand
 * descriptors beyond the cap, uncounted. At most {@link #MAX_LINGERING} linger at once; past that a refused
 * connection is closed at once, unanswered: a flood that large is no client worth a 503, and the cap's point is
 * that the node keeps its descriptors.
 *
 * <p>Costs one atomic increment per accepted connection and a decrement when it closes; nothing per request.
 */
final class ConnectionLimit {
    private static final System.Logger LOG = System.getLogger(ConnectionLimit.class.getName());

    /** Refused connections answered and lingering at once, at most; their descriptors are beyond the cap. */
    static final int MAX_LINGERING = 1024;

    private final int max;
    private final Runnable refused;
    private final byte[] refusal;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger lingering = new AtomicInteger();

    /** {@code refused}: told of each refusal (the metric); runs on an event loop, must not block. */
    ConnectionLimit(int max, Runnable refused) {
        this.max = max;
        this.refused = refused;
        byte[] body = ErrorBody.json(ErrorCode.UNAVAILABLE, "Isola serves at most " + max
                + " client connections at once (maxClientConnections); try again shortly");
        String head = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: "
                + body.length + "\r\nconnection: close\r\nretry-after: 1\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        this.refusal = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, refusal, 0, headBytes.length);
        System.arraycopy(body, 0, refusal, headBytes.length, body.length);
    }

    /** Client connections open now. */
    int open() {
        return open.get();
    }

    /** Refused connections still open (answered, lingering). */
    int lingering() {
        return lingering.get();
    }

    /**
     * Takes a place for {@code channel}, given back when it closes; or, with none left, refuses it (its pipeline
     * answers 503 and closes it). Returns whether it was admitted.
     */
    boolean admit(Channel channel) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            refused.run();
            LOG.log(System.Logger.Level.DEBUG, () -> "client connection from " + channel.remoteAddress()
                    + " refused: " + max + " open (maxClientConnections)");
            if (lingering.incrementAndGet() > MAX_LINGERING) {
                lingering.decrementAndGet();
                channel.close();
                return false;
            }
            channel.closeFuture().addListener(f -> lingering.decrementAndGet());
            channel.pipeline().addLast(new Refusal());
            return false;
        }
        channel.closeFuture().addListener(f -> open.decrementAndGet());
        return true;
    }

    /** The pipeline of a refused connection: the 503, the FIN, and whatever the client sent dropped meanwhile. */
    private final class Refusal extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            LingeringClose.after(ctx.channel().writeAndFlush(Unpooled.wrappedBuffer(refusal)));
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
