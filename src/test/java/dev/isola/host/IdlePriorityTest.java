package dev.isola.host;

import dev.isola.testing.SchedulingPolicy;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdlePriorityTest {
    @Test
    void aPlatformThread_movesToSchedIdle_andOnlyThatThread() throws Exception {
        CompletableFuture<int[]> policies = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().start(() -> {
            int before = SchedulingPolicy.ofCurrentThread();
            boolean applied = IdlePriority.applyToCurrentThread();
            policies.complete(new int[]{before, applied ? 1 : 0, SchedulingPolicy.ofCurrentThread()});
        });
        t.join();

        assertThat(policies.get()).containsExactly(SchedulingPolicy.SCHED_OTHER, 1, SchedulingPolicy.SCHED_IDLE);
        assertThat(SchedulingPolicy.ofCurrentThread()).isEqualTo(SchedulingPolicy.SCHED_OTHER);
    }

    @Test
    void raisedWhile_runsAnIdleThreadAtNormalPriority_thenPutsItBack() throws Exception {
        CompletableFuture<int[]> policies = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            IdlePriority.applyToCurrentThread();
            int inside = IdlePriority.raisedWhile(SchedulingPolicy::ofCurrentThread);
            policies.complete(new int[]{inside, SchedulingPolicy.ofCurrentThread()});
        }).join();

        assertThat(policies.get()).containsExactly(SchedulingPolicy.SCHED_OTHER, SchedulingPolicy.SCHED_IDLE);
    }

    @Test
    void raisedWhile_leavesANormalThreadNormal_evenWhenTheWorkThrows() {
        assertThatThrownBy(() -> IdlePriority.raisedWhile(() -> {
            throw new java.io.IOException("boom");
        })).hasMessage("boom");
        assertThat(IdlePriority.raisedWhile(SchedulingPolicy::ofCurrentThread)).isEqualTo(SchedulingPolicy.SCHED_OTHER);
        assertThat(SchedulingPolicy.ofCurrentThread()).isEqualTo(SchedulingPolicy.SCHED_OTHER);
    }

    @Test
    void aVirtualThread_isRefused() throws Exception {
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                IdlePriority.applyToCurrentThread();
                thrown.complete(null);
            } catch (RuntimeException e) {
                thrown.complete(e);
            }
        }).join();

        assertThat(thrown.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("virtual");
    }
}
