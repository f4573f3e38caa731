package dev.isola.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Burst cold starts (paper §4.2): n concurrent calls of the single-use no-op, so n instances start at once, for each
 * burst size. Per repetition: the mean and p95 of the n completion times ({@code mean_ms}, {@code p95_ms}), and each
 * call's {@code completion_ms} (variant {@code request}). A burst in which any call failed records mean and p95 as
 * failed with the first failure, since a mean over the survivors would flatter the backend. The n calls are released
 * together by a latch from n virtual threads, one connection each, like {@code hey -c n -n n}.
 */
final class BurstExperiment implements Experiment {
    private static final Duration GONE_TIMEOUT = Duration.ofMinutes(2);

    @Override
    public int steps(BenchProfile profile) {
        return profile.reps() * profile.burstSizes().size();
    }

    @Override
    public void run(Trial t) throws InterruptedException {
        int max = t.profile().burstSizes().stream().mapToInt(Integer::intValue).max().orElse(1);
        String name = t.deploy(FunctionSpec.singleUse("hello", max));
        for (int n : t.profile().burstSizes()) {
            String x = Integer.toString(n);
            for (int rep = 0; rep < t.profile().reps(); rep++) {
                t.checkStop();
                List<Call> calls = burst(t, name, n);
                for (Call c : calls) {
                    t.call("request", x, rep, "completion_ms", c);
                }
                List<Call> failed = calls.stream().filter(c -> !c.ok()).toList();
                if (failed.isEmpty()) {
                    double[] ms = calls.stream().mapToDouble(Call::millis).toArray();
                    t.ok("", x, rep, "mean_ms", Arrays.stream(ms).average().orElse(0), "ms");
                    t.ok("", x, rep, "p95_ms", p95(ms), "ms");
                } else {
                    String why = failed.size() + " of " + n + " calls failed, first: " + failed.getFirst().error();
                    t.failed("", x, rep, "mean_ms", "ms", failed.getFirst().status(), why);
                    t.failed("", x, rep, "p95_ms", "ms", failed.getFirst().status(), why);
                }
                t.client().awaitGone(name, GONE_TIMEOUT);
                t.step();
            }
        }
        t.remove(name);
    }

    private static List<Call> burst(Trial t, String name, int n) throws InterruptedException {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Call>> futures = new ArrayList<>(n);
        // close() waits for every call; on interrupt it interrupts them, which aborts their HTTP exchanges.
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return t.client().invoke(name, "/", t.profile().requestTimeout());
                }));
            }
            go.countDown();
            List<Call> calls = new ArrayList<>(n);
            for (Future<Call> f : futures) {
                try {
                    calls.add(f.get());
                } catch (ExecutionException e) {
                    throw new BenchException("Failed to run a burst call: " + e.getCause(), e.getCause());
                }
            }
            return calls;
        }
    }

    /** Nearest-rank 95th percentile: the smallest value at least 95 % of the values do not exceed. */
    static double p95(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(0.95 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
