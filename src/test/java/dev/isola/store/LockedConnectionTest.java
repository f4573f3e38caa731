package dev.isola.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.host.IdlePriority;
import dev.isola.testing.SchedulingPolicy;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LockedConnectionTest {
    @TempDir
    Path dir;

    /**
     * The invocation writer is under SCHED_IDLE, and admin reads and deploys wait for the lock it holds: on a busy
     * host an idle holder would keep them waiting until the CPUs have nothing else to do.
     */
    @Test
    void anIdleThread_holdsTheLockAtNormalPriority_andIsIdleAgainAfter() throws Exception {
        try (LockedConnection db = LockedConnection.open(dir.resolve("isola.db"))) {
            CompletableFuture<int[]> policies = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> {
                IdlePriority.applyToCurrentThread();
                int holding = db.with("read the policy", c -> SchedulingPolicy.ofCurrentThread());
                policies.complete(new int[]{holding, SchedulingPolicy.ofCurrentThread()});
            }).join();

            assertThat(policies.get()).containsExactly(SchedulingPolicy.SCHED_OTHER, SchedulingPolicy.SCHED_IDLE);
        }
    }
}
