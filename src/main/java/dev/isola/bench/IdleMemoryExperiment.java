package dev.isola.bench;

import dev.isola.bench.result.Sample;

import java.time.Duration;
import java.util.List;

/**
 * Idle memory (paper §4.4): how much MemAvailable (/proc/meminfo) drops with n idle no-op instances. Per instance
 * count and repetition: drop the page cache, read MemAvailable, deploy with {@code minInstances: n} (the platform
 * starts n instances; none is called), wait until all are ready and the settle time, drop the page cache again (the
 * deploy's build reads and writes files; running instances keep their mapped pages), read again, delete the function.
 * Values: {@code mem_used_mib} (the drop) and {@code mem_per_instance_mib}. Without root the cache cannot be dropped;
 * the metadata says so and the figures then include page-cache noise. Also {@code pss_per_instance_mib}: the mean
 * PSS of each instance's host processes ({@link ProcessTreeMemory}), which MemAvailable's drift on a shared host
 * does not blur.
 */
final class IdleMemoryExperiment implements Experiment {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(5);

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
                t.memory().dropCaches();
                long before = MemInfo.availableKib();
                String name = t.deploy(FunctionSpec.idle("hello", n));
                try {
                    t.client().awaitReady(name, n, READY_TIMEOUT);
                    t.sleep(t.profile().memorySettle());
                    t.memory().dropCaches();
                    long after = MemInfo.availableKib();
                    double usedMib = (before - after) / 1024.0;
                    t.ok("", x, rep, "mem_used_mib", usedMib, "MiB");
                    t.ok("", x, rep, "mem_per_instance_mib", usedMib / n, "MiB");
                    recordPss(t, name, n, x, rep);
                } catch (BenchException e) {
                    t.failed("", x, rep, "mem_used_mib", "MiB", e.status(), e.getMessage());
                    t.failed("", x, rep, "mem_per_instance_mib", "MiB", e.status(), e.getMessage());
                }
                t.remove(name);
                t.step();
            }
        }
    }

    /** PSS of every instance's host processes, averaged: the per-instance cost without MemAvailable's drift. */
    private static void recordPss(Trial t, String name, int n, String x, int rep) throws InterruptedException {
        List<InstanceInfo> instances = t.client().instances(name);
        if (instances.size() != n || instances.stream().anyMatch(i -> i.pid().isEmpty())) {
            t.failed("", x, rep, "pss_per_instance_mib", "MiB", Sample.Status.ERROR, "expected " + n
                    + " instances with a host pid, found " + instances.size());
            return;
        }
        long kib = instances.stream().mapToLong(i -> ProcessTreeMemory.pssKib(i.pid().getAsLong())).sum();
        t.ok("", x, rep, "pss_per_instance_mib", kib / 1024.0 / n, "MiB");
    }
}
