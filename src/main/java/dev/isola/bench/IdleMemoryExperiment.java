package dev.isola.bench;

import java.time.Duration;

/**
 * Idle memory (paper §4.4): how much MemAvailable (/proc/meminfo) drops with n idle no-op instances. Per instance
 * count and repetition: drop the page cache, read MemAvailable, deploy with {@code minInstances: n} (the platform
 * starts n instances; none is called), wait until all are ready and the settle time, drop the page cache again (the
 * deploy's build reads and writes files; running instances keep their mapped pages), read again, delete the function.
 * Values: {@code mem_used_mib} (the drop) and {@code mem_per_instance_mib}. Without root the cache cannot be dropped;
 * the metadata says so and the figures then include page-cache noise.
 */
final class IdleMemoryExperiment implements Experiment {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(5);

    @Override
    public String id() {
        return "idle-memory";
    }

    @Override
    public String metric() {
        return "mem_used_mib";
    }

    @Override
    public String unit() {
        return "MiB";
    }

    @Override
    public int steps(BenchProfile profile) {
        return profile.reps() * profile.idleMemoryCounts().size();
    }

    @Override
    public void run(Trial t) throws InterruptedException {
        for (int n : t.profile().idleMemoryCounts()) {
            String x = Integer.toString(n);
            for (int rep = 0; rep < t.profile().reps(); rep++) {
                t.checkStop();
                MemInfo.dropCaches();
                long before = MemInfo.availableKib();
                String name = t.deploy(FunctionSpec.idle("hello", n));
                try {
                    t.client().awaitReady(name, n, READY_TIMEOUT);
                    t.sleep(t.profile().memorySettle());
                    MemInfo.dropCaches();
                    long after = MemInfo.availableKib();
                    double usedMib = (before - after) / 1024.0;
                    t.ok("", x, rep, "mem_used_mib", usedMib, "MiB");
                    t.ok("", x, rep, "mem_per_instance_mib", usedMib / n, "MiB");
                } catch (BenchException e) {
                    t.failed("", x, rep, "mem_used_mib", "MiB", e.status(), e.getMessage());
                    t.failed("", x, rep, "mem_per_instance_mib", "MiB", e.status(), e.getMessage());
                }
                t.remove(name);
                t.step();
            }
        }
    }
}
