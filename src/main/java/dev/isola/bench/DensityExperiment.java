package dev.isola.bench;

import dev.isola.bench.result.Sample;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Density (issue 21, not in the paper): how many live idle instances one node holds and what each costs. Per count n
 * (ascending), once the host is idle again ({@link HostIdle}): the latency of {@code /healthz}, the admin listing
 * ({@code ?limit=1}) and a warm call to another function, read idle; then n hello instances started at once, timed
 * until all are ready; once the host is idle again, the same readings with the n live, the MemAvailable drop per
 * instance (page cache dropped) and the JVM's threads and open files; then, after a rollback to the version that
 * keeps none, the time until every one of their sandboxes has stopped (the node's budget counts an instance until
 * then).
 *
 * <p>The n start without a build in the timing: the function's first version keeps no instance, a second with
 * {@code minInstances: n} is staged (built, not serving) and made to serve by rollback. Counts are read from
 * {@code /metrics}, not the listing, whose JSON at thousands would cost the server what the starts need. A count
 * that would not fit in the host's available memory at the last count's cost per instance, or that follows a
 * count that failed, is not started: its row is a failure that says why, so the report gives the largest n reached
 * and the reason it stopped. The server runs in this JVM, so its threads and open files include the bench
 * client's (a constant few). One repetition per count: thousands of starts are the measurement.
 */
final class DensityExperiment implements Experiment {
    /** How many of the host's available MiB a count may take, at the last count's cost per instance. */
    private static final double MEMORY_SHARE = 0.8;
    /** The readings' pace: a reading every quarter second, as an operator's probe would, not a load. */
    private static final Duration READING_PAUSE = Duration.ofMillis(250);
    private static final Duration READING_TIMEOUT = Duration.ofSeconds(30);
    private static final int WARM_UP_READINGS = 500;
    /** How long a count waits for the host to be idle (the last count's teardown in the kernel) before it begins. */
    private static final Duration SETTLE = Duration.ofMinutes(5);
    /** How long a count of instances may stand still before a start or stop is given up as stuck. */
    private static final Duration STALL = Duration.ofMinutes(3);
    private static final String OTHER_TAG = "density-other";
    private static final Path OPEN_FILES = Path.of("/proc/self/fd");

    /** The three paths read idle and with n live; each a variant of the latency ratios. */
    private enum Probe { HEALTHZ, ADMIN, WARM_CALL }

    @Override
    public int steps(BenchProfile profile) {
        return profile.densityCounts().size();
    }

    @Override
    public void run(Trial t) throws InterruptedException {
        String other = t.deploy(new FunctionSpec("hello", 1, 1, 1, false, 0, false, OTHER_TAG));
        t.warmEndpoint(other, "/");
        warmUp(t, other);
        FunctionSpec none = FunctionSpec.singleUse("hello", 1).tagged("density");
        String name = Workloads.name(none, t.runtime());
        int baseline = t.deployVersion(none, true);
        double lastMibPerInstance = 0;
        String stopped = "";
        for (int n : t.profile().densityCounts()) {
            t.checkStop();
            String x = Integer.toString(n);
            String refusal = stopped.isEmpty() ? fits(n, lastMibPerInstance) : stopped;
            if (!refusal.isEmpty()) {
                t.failed("", x, 0, "mem_per_instance_mib", "MiB", Sample.Status.ERROR, refusal);
                t.step();
                continue;
            }
            try {
                lastMibPerInstance = measure(t, name, other, baseline, n);
            } catch (BenchException e) {
                t.failed("", x, 0, "mem_per_instance_mib", "MiB", e.status(), e.getMessage());
                stopped = "not started: n = " + n + " failed (" + e.getMessage() + ")";
                t.client().rollback(name, baseline);
                awaitCount(t, name, "any", 0, stopTimeout(n));
            }
            t.step();
        }
        t.remove(name);
        t.remove(other);
    }

    /** Empty if {@code n} instances fit in the host's available memory, else why not. */
    private static String fits(int n, double mibPerInstance) {
        return fits(n, mibPerInstance, MemInfo.availableKib() / 1024.0);
    }

    /** Empty if {@code n} instances of {@code mibPerInstance} fit in {@code availableMib}, else why not. */
    static String fits(int n, double mibPerInstance, double availableMib) {
        double needMib = n * mibPerInstance;
        if (needMib <= availableMib * MEMORY_SHARE) {
            return "";
        }
        return String.format(Locale.ROOT, "not started: %d instances at %.2f MiB each need %.0f MiB, more than %.0f %% "
                + "of the %.0f MiB available", n, mibPerInstance, needMib, MEMORY_SHARE * 100, availableMib);
    }

    /** One count, measured; returns its MiB per instance. */
    private static double measure(Trial t, String name, String other, int baseline, int n)
            throws InterruptedException {
        String x = Integer.toString(n);
        int version = t.deployVersion(FunctionSpec.idle("hello", n).tagged("density"), false);
        settle(t, n, "idle");
        List<double[]> idle = readings(t, other);
        long threadsIdle = threads();
        long filesIdle = openFiles();
        long baseKib = settledAvailableKib(t);
        int nodeIdle = t.client().nodeInstances();

        long begin = System.nanoTime();
        t.client().rollback(name, version);
        awaitCount(t, name, "ready", n, startTimeout(n));
        t.ok("start", x, 0, "start_s", seconds(begin), "s");

        // The n held, as a node holds them: after the burst's own aftermath (spare networks refilled, the kernel's
        // share of the starts), which bench/density.sh reads as a phase of its own.
        settle(t, n, "live");
        List<double[]> live = readings(t, other);
        long threadsLive = threads();
        long filesLive = openFiles();
        double mibPerInstance = (baseKib - settledAvailableKib(t)) / 1024.0 / n;
        t.ok("", x, 0, "mem_per_instance_mib", mibPerInstance, "MiB");
        t.ok("threads", x, 0, "jvm_threads", threadsLive, "count", "idle: " + threadsIdle);
        t.ok("open-files", x, 0, "open_files", filesLive, "count", "idle: " + filesIdle);
        for (Probe path : Probe.values()) {
            ratios(t, path, x, idle, live);
        }

        begin = System.nanoTime();
        t.client().rollback(name, baseline);
        awaitStopped(t, nodeIdle, stopTimeout(n));
        t.ok("stop", x, 0, "stop_s", seconds(begin), "s");
        return mibPerInstance;
    }

    /** Held/idle of the median and of the worst reading of one path, with the readings in ms as the remark. */
    private static void ratios(Trial t, Probe path, String x, List<double[]> idle, List<double[]> live) {
        String variant = path.name().toLowerCase(Locale.ROOT).replace('_', '-');
        double[] before = idle.stream().mapToDouble(r -> r[path.ordinal()]).sorted().toArray();
        double[] during = live.stream().mapToDouble(r -> r[path.ordinal()]).sorted().toArray();
        String remark = String.format(Locale.ROOT, "ms median/worst: idle %.2f/%.2f, %s live %.2f/%.2f",
                median(before), worst(before), x, median(during), worst(during));
        t.ok(variant, x, 0, "p50_ratio", median(during) / median(before), "ratio", remark);
        t.ok(variant, x, 0, "worst_ratio", worst(during) / worst(before), "ratio", remark);
    }

    /**
     * The profile's number of readings, a quarter second apart: each the ms of /healthz, the admin listing's first
     * page and a warm call to {@code other}. A failed one fails the count: the platform stopped answering.
     */
    private static List<double[]> readings(Trial t, String other) throws InterruptedException {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < t.profile().densityReadings(); i++) {
            Call[] calls = {t.client().getGateway("/healthz", READING_TIMEOUT),
                    t.client().getAdmin("/system/instances?limit=1", READING_TIMEOUT),
                    t.client().invoke(other, "/", READING_TIMEOUT)};
            for (Probe path : Probe.values()) {
                Call c = calls[path.ordinal()];
                if (!c.ok()) {
                    throw new BenchException("A reading of " + path.name().toLowerCase(Locale.ROOT) + " failed: "
                            + c.error());
                }
            }
            out.add(Arrays.stream(calls).mapToDouble(Call::millis).toArray());
            t.sleep(READING_PAUSE);
        }
        return out;
    }

    private static void settle(Trial t, int n, String phase) throws InterruptedException {
        if (!HostIdle.await(t, SETTLE)) {
            t.note("density: the host was still busy after " + SETTLE.toMinutes() + " min; reading n = " + n + " "
                    + phase + " anyway");
        }
    }

    /**
     * A fresh JVM interprets what it has not compiled yet: readings of the three paths back to back, not counted,
     * so that the idle readings measure the paths as a server that has served a while runs them.
     */
    private static void warmUp(Trial t, String other) throws InterruptedException {
        for (int i = 0; i < WARM_UP_READINGS; i++) {
            t.client().getGateway("/healthz", READING_TIMEOUT);
            t.client().getAdmin("/system/instances?limit=1", READING_TIMEOUT);
            t.client().invoke(other, "/", READING_TIMEOUT);
        }
    }

    /**
     * Until {@code n} instances of {@code name} are in {@code state}; fails at {@code timeout}, or sooner once the
     * count has not moved for {@link #STALL} (a bound of the node or the host reached, say: the count says where).
     */
    private static void awaitCount(Trial t, String name, String state, int n, Duration timeout)
            throws InterruptedException {
        long begin = System.nanoTime();
        long lastMove = begin;
        int last = -1;
        int now;
        while ((now = t.client().instanceCount(name, state)) != n) {
            long at = System.nanoTime();
            if (now != last) {
                last = now;
                lastMove = at;
            }
            if (at - begin > timeout.toNanos() || at - lastMove > STALL.toNanos()) {
                throw BenchException.timedOut("Failed to see " + n + " instances of " + name + " in state " + state
                        + ": " + now + " after " + Duration.ofNanos(at - begin).toSeconds() + " s, none more for "
                        + Duration.ofNanos(at - lastMove).toSeconds() + " s (the server's log says why)");
            }
            t.sleep(READING_PAUSE);
        }
    }

    /** Until the node holds no more instances than {@code idle}: every sandbox of the count has stopped. */
    private static void awaitStopped(Trial t, int idle, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int now;
        while ((now = t.client().nodeInstances()) > idle) {
            if (System.nanoTime() - deadline > 0) {
                throw BenchException.timedOut("Failed to stop every instance within " + timeout.toSeconds()
                        + " s: the node still holds " + (now - idle) + " of them");
            }
            t.sleep(READING_PAUSE);
        }
    }

    /** A start of thousands queues behind the CPU: a minute, and a second per instance (runc takes ~0.1 s here). */
    private static Duration startTimeout(int n) {
        return Duration.ofSeconds(60 + n);
    }

    private static Duration stopTimeout(int n) {
        return Duration.ofSeconds(60 + n / 2);
    }

    private static long settledAvailableKib(Trial t) throws InterruptedException {
        t.sleep(t.profile().memorySettle());
        t.memory().dropCaches();
        return MemInfo.availableKib();
    }

    private static long threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    private static long openFiles() {
        try (Stream<Path> fds = Files.list(OPEN_FILES)) {
            return fds.count();
        } catch (IOException e) {
            throw new BenchException("Failed to count open files in " + OPEN_FILES + ": " + e.getMessage(), e);
        }
    }

    private static double seconds(long beginNanos) {
        return (System.nanoTime() - beginNanos) / 1e9;
    }

    private static double median(double[] sorted) {
        return sorted[(sorted.length - 1) / 2];
    }

    private static double worst(double[] sorted) {
        return sorted[sorted.length - 1];
    }
}
