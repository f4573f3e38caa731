package dev.isola.gateway;

import io.netty.channel.SelectStrategy;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class SpinBeforeBlockingTest {
    private static final long WINDOW = 100_000;

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final AtomicInteger ready = new AtomicInteger();
    private final AtomicInteger polls = new AtomicInteger();
    private final SpinBeforeBlocking strategy = new SpinBeforeBlocking(WINDOW, now::get);

    private int next(boolean hasTasks) throws Exception {
        return strategy.calculateStrategy(() -> {
            polls.incrementAndGet();
            return ready.get();
        }, hasTasks);
    }

    @Test
    void blocksWithoutPolling_untilAWaitProvesShort() throws Exception {
        assertThat(next(false)).isEqualTo(SelectStrategy.SELECT);
        now.addAndGet(5_000_000); // a long wait: polling would not have caught it
        assertThat(next(false)).isEqualTo(SelectStrategy.SELECT);
        assertThat(polls).hasValue(0);
    }

    @Test
    void pollsAfterAShortWait_andHandsOverWhatItFinds() throws Exception {
        next(false);
        now.addAndGet(30_000); // woken 30 us later
        assertThat(next(false)).isEqualTo(SelectStrategy.CONTINUE);
        now.addAndGet(20_000);
        ready.set(2);
        assertThat(next(false)).isEqualTo(2);
        ready.set(0);
        assertThat(next(false)).as("it keeps polling: the poll paid off").isEqualTo(SelectStrategy.CONTINUE);
    }

    @Test
    void aPollThatRunsOut_turnsPollingOffUntilTheNextShortWait() throws Exception {
        next(false);
        now.addAndGet(30_000);
        assertThat(next(false)).isEqualTo(SelectStrategy.CONTINUE);
        now.addAndGet(WINDOW);
        assertThat(next(false)).isEqualTo(SelectStrategy.SELECT);
        now.addAndGet(WINDOW * 10); // quiet
        int before = polls.get();
        assertThat(next(false)).isEqualTo(SelectStrategy.SELECT);
        assertThat(polls.get()).isEqualTo(before);
        now.addAndGet(10_000); // busy again
        assertThat(next(false)).isEqualTo(SelectStrategy.CONTINUE);
    }

    @Test
    void pendingTasks_takeWhatIsReadyWithoutWaiting() throws Exception {
        ready.set(1);
        assertThat(next(true)).isEqualTo(1);
        ready.set(0);
        assertThat(next(true)).isZero();
    }
}
