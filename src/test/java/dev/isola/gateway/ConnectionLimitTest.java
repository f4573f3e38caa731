package dev.isola.gateway;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cap's bookkeeping on channels of its own (the 503 on a real socket is {@code ClientLimitsTest}'s): refused
 * connections still lingering count against {@link ConnectionLimit#MAX_LINGERING}, past which one is closed at once.
 */
class ConnectionLimitTest {
    private final AtomicInteger refusals = new AtomicInteger();
    private final ConnectionLimit limit = new ConnectionLimit(2, refusals::incrementAndGet);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void closeAll() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void pastTheCap_connectionsAreRefused_andAClosedOneMakesRoom() {
        EmbeddedChannel first = channel();
        assertThat(limit.admit(first)).isTrue();
        assertThat(limit.admit(channel())).isTrue();
        assertThat(limit.admit(channel())).isFalse();
        assertThat(limit.open()).isEqualTo(2);

        first.close();
        assertThat(limit.open()).isEqualTo(1);
        assertThat(limit.admit(channel())).isTrue();
        assertThat(refusals.get()).isOne();
    }

    @Test
    void refusedConnectionsLingeringPastTheirBound_areClosedAtOnce_unanswered() {
        limit.admit(channel());
        limit.admit(channel());
        List<EmbeddedChannel> answered = new ArrayList<>();
        for (int i = 0; i < ConnectionLimit.MAX_LINGERING; i++) {
            EmbeddedChannel refused = channel();
            assertThat(limit.admit(refused)).isFalse();
            answered.add(refused);
        }
        assertThat(limit.lingering()).isEqualTo(ConnectionLimit.MAX_LINGERING);
        assertThat(answered).allMatch(EmbeddedChannel::isOpen);

        EmbeddedChannel flood = channel();
        assertThat(limit.admit(flood)).isFalse();
        assertThat(flood.isOpen()).as("closed without an answer").isFalse();
        assertThat(limit.lingering()).isEqualTo(ConnectionLimit.MAX_LINGERING);

        answered.getFirst().close(); // its linger ended
        assertThat(limit.lingering()).isEqualTo(ConnectionLimit.MAX_LINGERING - 1);
        EmbeddedChannel next = channel();
        assertThat(limit.admit(next)).isFalse();
        assertThat(next.isOpen()).as("answered again, lingering").isTrue();
        assertThat(refusals.get()).as("every refusal counted, answered or not")
                .isEqualTo(ConnectionLimit.MAX_LINGERING + 2);
    }

    private EmbeddedChannel channel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        return channel;
    }
}
