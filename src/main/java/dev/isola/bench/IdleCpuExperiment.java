package dev.isola.bench;

import dev.isola.bench.result.Sample;

import java.time.Duration;

/**
 * Idle CPU (paper §4.4): one no-op instance, started by the platform ({@code minInstances: 1}) and never called; after
 * the settle time (the paper: 15 s after start) each repetition is one consecutive window (the paper: 1 s, like its
 * {@code perf stat -I 1000}). Where perf counts instructions the value is {@code instructions_millions} (variant
 * {@code instructions}); otherwise CPU time of the instance's process tree, {@code cpu_ms} (variant {@code cpu-time}).
 */
final class IdleCpuExperiment implements Experiment {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);

    @Override
    public void run(Trial t) throws InterruptedException {
        String name = t.deploy(FunctionSpec.idle("hello", 1));
        InstanceInfo instance = t.client().awaitReady(name, 1, READY_TIMEOUT).getFirst();
        if (instance.pid().isEmpty()) {
            throw new BenchException("Failed to measure idle CPU: the " + t.backend()
                    + " backend reports no host process for its instances");
        }
        long pid = instance.pid().getAsLong();
        boolean perf = t.perf().available();
        t.sleep(t.profile().idleSettle());
        Duration window = t.profile().idleWindow();
        for (int rep = 0; rep < t.profile().reps(); rep++) {
            t.checkStop();
            try {
                if (perf) {
                    long n = t.perf().instructions(ProcessTreeCpu.tree(pid), window);
                    t.ok("instructions", "", rep, "instructions_millions", n / 1e6, "Minstr");
                } else {
                    ProcessTreeCpu.Reading before = ProcessTreeCpu.read(pid);
                    Thread.sleep(window);
                    t.ok("cpu-time", "", rep, "cpu_ms", ProcessTreeCpu.read(pid).millisSince(before), "ms");
                }
            } catch (BenchException e) {
                t.failed(perf ? "instructions" : "cpu-time", "", rep, perf ? "instructions_millions" : "cpu_ms",
                        perf ? "Minstr" : "ms", Sample.Status.ERROR, e.getMessage());
            }
            t.step();
        }
        t.remove(name);
    }
}
