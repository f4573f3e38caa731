package dev.isola.bench;

import java.time.Duration;
import java.util.List;

/**
 * Host memory per fast-start sandbox (issue 17), beside an instance of the same function started the ordinary way,
 * with {@code n} of each live at once so that what they share is shared as it would be. The three states are
 * versions of one function, switched by rollback, so that no build runs between the readings: none (nothing
 * live: the baseline), {@code n} started as usual ({@code minInstances: n}, booted on microvm) and {@code n} fast:
 * <ul>
 *   <li>standby (runc, crun, runsc): {@code n} standby sandboxes, created and not started
 *       ({@code scaling.standby: n});</li>
 *   <li>clone (microvm): {@code n} idle clones of one version. Its first activation boots them all and saves the
 *       template in the background; it is activated again until its instances all come up as clones.</li>
 * </ul>
 * Each reading as in the idle-memory experiment: page cache dropped, then the drop of MemAvailable against the
 * baseline, per instance ({@code mem_per_instance_mib}), and the mean PSS of each instance's host processes
 * ({@code pss_per_instance_mib}), which the host's drift does not blur. Variants {@code cold-memory} and
 * {@code fast-memory}, x = n.
 */
final class FastStartMemory {
    private static final Duration SETTLE_TIMEOUT = Duration.ofMinutes(3);

    private FastStartMemory() {
    }

    static void measure(Trial t, FastStartExperiment.Fast kind, int n) throws InterruptedException {
        FunctionSpec none = FunctionSpec.singleUse("hello", n).tagged("memory");
        FunctionSpec fastSpec = kind == FastStartExperiment.Fast.STANDBY ? none.withStandby(n)
                : FunctionSpec.idle("hello", n).withClones().tagged("memory");
        int baseline = t.deployVersion(none, true);
        int started = t.deployVersion(FunctionSpec.idle("hello", n).tagged("memory"), false);
        int fast = t.deployVersion(fastSpec, false);
        String name = Workloads.name(none, t.runtime());
        String x = Integer.toString(n);
        try {
            long baseKib = settledAvailableKib(t);
            t.client().rollback(name, started);
            record(t, "cold-memory", x, n, baseKib, t.client().awaitExactly(name, "ready", n, SETTLE_TIMEOUT));
            List<InstanceInfo> fastOnes = kind == FastStartExperiment.Fast.STANDBY
                    ? activate(t, name, baseline, fast, "standby", n)
                    : activateUntilClones(t, name, baseline, fast, n);
            record(t, "fast-memory", x, n, baseKib, fastOnes);
        } catch (BenchException e) {
            for (String variant : List.of("cold-memory", "fast-memory")) {
                t.failed(variant, x, 0, "mem_per_instance_mib", "MiB", e.status(), e.getMessage());
            }
        }
        t.remove(name);
    }

    /**
     * Activates {@code version} once the baseline has stopped every other version's instances, so that the
     * {@code n} instances awaited are all of {@code version}.
     */
    private static List<InstanceInfo> activate(Trial t, String name, int baseline, int version, String state, int n)
            throws InterruptedException {
        t.client().rollback(name, baseline);
        t.client().awaitGone(name, SETTLE_TIMEOUT);
        t.client().rollback(name, version);
        return t.client().awaitExactly(name, state, n, SETTLE_TIMEOUT);
    }

    /** Activates {@code version} until all its instances start as clones (the first try boots and saves). */
    private static List<InstanceInfo> activateUntilClones(Trial t, String name, int baseline, int version, int n)
            throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        while (true) {
            List<InstanceInfo> live = activate(t, name, baseline, version, "ready", n);
            if (live.stream().allMatch(i -> i.start().equals("clone"))) {
                return live;
            }
            if (System.nanoTime() - deadline > 0) {
                throw BenchException.timedOut("No clones of " + name + " within " + SETTLE_TIMEOUT.toSeconds()
                        + " s: its template was not saved (the server log says why)");
            }
        }
    }

    private static void record(Trial t, String variant, String x, int n, long baseKib, List<InstanceInfo> live)
            throws InterruptedException {
        long pssKib = live.stream().filter(i -> i.pid().isPresent())
                .mapToLong(i -> ProcessTreeMemory.pssKib(i.pid().getAsLong())).sum();
        double usedMib = (baseKib - settledAvailableKib(t)) / 1024.0;
        t.ok(variant, x, 0, "mem_per_instance_mib", usedMib / n, "MiB");
        if (live.stream().allMatch(i -> i.pid().isPresent())) {
            t.ok(variant, x, 0, "pss_per_instance_mib", pssKib / 1024.0 / n, "MiB");
        }
    }

    private static long settledAvailableKib(Trial t) throws InterruptedException {
        t.sleep(t.profile().memorySettle());
        t.memory().dropCaches();
        return MemInfo.availableKib();
    }
}
