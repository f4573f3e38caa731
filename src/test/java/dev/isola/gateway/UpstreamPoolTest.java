package dev.isola.gateway;

import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link UpstreamPool}'s keep-alive connections, aged by a hand-moved clock. */
class UpstreamPoolTest {
    private static final String KEY = "hello-1";

    private long now = TimeUnit.HOURS.toNanos(1);
    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private final UpstreamPool pool = new UpstreamPool(loop.eventLoop(), this::connect, this::connect, () -> now);

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        loop.finishAndReleaseAll();
    }

    @Test
    void poll_connectionIdleFor4s_isClosedNotReused() {
        EmbeddedChannel idle = connection();
        pool.giveBack(KEY, idle);
        now += UpstreamPool.MAX_IDLE_NANOS;

        assertThat(pool.poll(KEY)).isNull();
        assertThat(idle.isOpen()).isFalse();
    }

    @Test
    void poll_connectionIdleJustUnder4s_isReused() {
        EmbeddedChannel idle = connection();
        pool.giveBack(KEY, idle);
        now += UpstreamPool.MAX_IDLE_NANOS - 1;

        assertThat(pool.poll(KEY)).isSameAs(idle);
        assertThat(pool.poll(KEY)).as("lent out, no longer idle").isNull();
    }

    @Test
    void poll_givesTheWarmestConnectionFirst_andDropsTheStaleOnesUnderIt() {
        EmbeddedChannel oldest = connection();
        EmbeddedChannel older = connection();
        pool.giveBack(KEY, oldest);
        pool.giveBack(KEY, older);
        now += TimeUnit.SECONDS.toNanos(3);
        EmbeddedChannel warm = connection();
        pool.giveBack(KEY, warm);
        now += TimeUnit.SECONDS.toNanos(2);

        assertThat(pool.poll(KEY)).isSameAs(warm);
        assertThat(pool.poll(KEY)).isNull();
        assertThat(older.isOpen()).isFalse();
        assertThat(oldest.isOpen()).isFalse();
    }

    @Test
    void poll_skipsAConnectionTheInstanceClosed() {
        EmbeddedChannel first = connection();
        EmbeddedChannel closed = connection();
        pool.giveBack(KEY, first);
        pool.giveBack(KEY, closed);
        closed.close();

        assertThat(pool.poll(KEY)).isSameAs(first);
    }

    @Test
    void giveBack_aClosedConnection_isNotPooled() {
        EmbeddedChannel closed = connection();
        closed.close();
        pool.giveBack(KEY, closed);

        assertThat(pool.poll(KEY)).isNull();
    }

    @Test
    void poll_otherInstance_hasItsOwnConnections() {
        pool.giveBack(KEY, connection());

        assertThat(pool.poll("other-1")).isNull();
    }

    @Test
    void giveBack_aThousandConnections_keepsEveryOne() {
        List<EmbeddedChannel> given = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            EmbeddedChannel c = connection();
            given.add(c);
            pool.giveBack(KEY, c);
        }

        for (int i = 0; i < given.size(); i++) {
            assertThat(pool.poll(KEY)).as("connection %d of %d", i + 1, given.size()).isNotNull();
        }
        assertThat(given).allMatch(EmbeddedChannel::isOpen);
    }

    @Test
    void sweep_closesConnectionsIdleFor4s_withoutARequestToTakeThem() {
        EmbeddedChannel stale = connection();
        pool.giveBack(KEY, stale);
        now += TimeUnit.SECONDS.toNanos(2);
        EmbeddedChannel fresh = connection();
        pool.giveBack(KEY, fresh);
        now += UpstreamPool.MAX_IDLE_NANOS - TimeUnit.SECONDS.toNanos(1);

        runSweep();

        assertThat(stale.isOpen()).isFalse();
        assertThat(fresh.isOpen()).isTrue();

        now += TimeUnit.SECONDS.toNanos(1);
        runSweep();

        assertThat(fresh.isOpen()).as("swept again while a connection was idle").isFalse();
        assertThat(pool.poll(KEY)).isNull();
    }

    @Test
    void sweep_forgetsConnectionsTheInstanceClosed() {
        EmbeddedChannel closed = connection();
        pool.giveBack(KEY, closed);
        closed.close();

        runSweep();

        assertThat(pool.poll(KEY)).isNull();
    }

    /** Moves the loop's own clock past the sweep's period and runs what is due. */
    private void runSweep() {
        loop.advanceTimeBy(UpstreamPool.SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
    }

    private EmbeddedChannel connection() {
        EmbeddedChannel channel = new EmbeddedChannel();
        UpstreamPool.addUpstreamHandlers(channel.pipeline());
        channels.add(channel);
        return channel;
    }

    private ChannelFuture connect(InetSocketAddress endpoint) {
        return connection().newSucceededFuture();
    }
}
