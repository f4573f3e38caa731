package dev.isola.gateway;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;

import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection after a last answer while the client may still be sending (a body the edge cut short,
 * a request it refused unread). Closing at once with bytes unread makes the kernel send a reset, and a reset can
 * destroy the answer before the client has read it. So the edge sends its FIN after the answer, its pipeline keeps
 * reading and dropping what comes, and the connection closes when the client closes its side, or after
 * {@link #LINGER_MILLIS} at most (nginx's lingering close, for the same reason).
 */
final class LingeringClose {
    /** How long a connection may stay for its client to read the last answer; bounded so a client cannot hold it. */
    static final long LINGER_MILLIS = 1_000;

    private LingeringClose() {
    }

    /** After {@code answer} is written on {@code channel}: FIN, then the close. The caller drops what is read. */
    static void after(ChannelFuture answer) {
        Channel channel = answer.channel();
        answer.addListener(written -> {
            if (written.isSuccess() && channel instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
            } else {
                channel.close();
            }
        });
        Runnable close = channel::close;
        channel.eventLoop().schedule(close, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }
}
