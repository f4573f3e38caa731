package dev.isola.bench;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The sizes of one benchmark run. {@link #paper(int)} follows the paper (100 repetitions; bursts of 10..100; hey with
 * 32,768 requests and 1..4096 clients; 10 GiB of a 50 MiB file to 4 clients; idle CPU 15 s after start);
 * {@link #quickProfile()} is a smoke-test profile that exercises every code path in about a minute.
 *
 * @param reps               repetitions of every measurement
 * @param quick              whether this is the quick profile (recorded in metadata)
 * @param burstSizes         concurrent cold starts per burst
 * @param idleMemoryCounts   idle instance counts of the memory experiment
 * @param idleSettle         how long after start the idle-CPU window begins (the paper: 15 s)
 * @param idleWindow         length of one idle-CPU window (the paper: 1 s)
 * @param memorySettle       wait between "all instances ready" and reading /proc/meminfo
 * @param heyRequests        requests per hey run of the network-concurrency experiment
 * @param heyClients         concurrent clients, one hey run each
 * @param fileMib            size of the file the network-throughput and disk experiments move
 * @param throughputTotalMib total transferred per throughput repetition (the paper: 10 GiB)
 * @param throughputClients  concurrent clients of the throughput experiment (the paper: 4)
 * @param fibN               argument of the fib workload (naive recursion; 38 takes about as long as the paper's call)
 * @param matrixN            matrix size of the matrix workload (the paper: 1024)
 * @param allocMib           MiB the alloc workload touches (the paper: 50)
 * @param requestTimeout     deadline of one invocation
 * @param densityCounts      live idle instance counts of the density experiment, in ascending order (not the paper's)
 * @param densityReadings    latency readings of each path, idle and with the instances live, per density count
 */
public record BenchProfile(int reps, boolean quick, List<Integer> burstSizes, List<Integer> idleMemoryCounts,
                           Duration idleSettle, Duration idleWindow, Duration memorySettle, int heyRequests,
                           List<Integer> heyClients, int fileMib, long throughputTotalMib, int throughputClients,
                           int fibN, int matrixN, int allocMib, Duration requestTimeout,
                           List<Integer> densityCounts, int densityReadings) {
    public static final int PAPER_REPS = 100;

    public BenchProfile {
        require(reps >= 1, "reps must be at least 1");
        burstSizes = List.copyOf(burstSizes);
        idleMemoryCounts = List.copyOf(idleMemoryCounts);
        heyClients = List.copyOf(heyClients);
        densityCounts = densityCounts.stream().sorted().distinct().toList();
        require(burstSizes.stream().allMatch(n -> n >= 1), "burst sizes must be at least 1");
        require(idleMemoryCounts.stream().allMatch(n -> n >= 1), "idle-memory counts must be at least 1");
        require(heyClients.stream().allMatch(c -> c >= 1 && c <= heyRequests),
                "hey clients must be between 1 and the number of requests");
        require(fileMib >= 1 && throughputTotalMib >= fileMib && throughputClients >= 1,
                "the throughput total must hold at least one file");
        require(!idleWindow.isNegative() && !idleWindow.isZero(), "the idle window must be positive");
        require(densityCounts.stream().allMatch(n -> n >= 1), "density counts must be at least 1");
        require(densityReadings >= 1, "density readings must be at least 1");
    }

    /** The paper's profile with {@code reps} repetitions. */
    public static BenchProfile paper(int reps) {
        return new BenchProfile(reps, false, steps(10, 100, 10), steps(10, 100, 10), Duration.ofSeconds(15),
                Duration.ofSeconds(1), Duration.ofSeconds(5), 32_768, powersOfTwo(4096), 50, 10L * 1024, 4, 38, 1024,
                50, Duration.ofMinutes(2), List.of(100, 1000), 40);
    }

    /** A small profile for smoke tests: every experiment, every code path, tiny sizes. */
    public static BenchProfile quickProfile() {
        return new BenchProfile(2, true, List.of(2, 4), List.of(1, 2), Duration.ofMillis(500), Duration.ofMillis(200),
                Duration.ofMillis(200), 200, List.of(1, 4), 1, 4, 4, 20, 64, 8, Duration.ofSeconds(30), List.of(3), 4);
    }

    public BenchProfile withReps(int newReps) {
        return new BenchProfile(newReps, quick, burstSizes, idleMemoryCounts, idleSettle, idleWindow, memorySettle,
                heyRequests, heyClients, fileMib, throughputTotalMib, throughputClients, fibN, matrixN, allocMib,
                requestTimeout, densityCounts, densityReadings);
    }

    /** The same instance counts for bursts and for idle memory. */
    public BenchProfile withCounts(List<Integer> counts) {
        return new BenchProfile(reps, quick, counts, counts, idleSettle, idleWindow, memorySettle,
                heyRequests, heyClients, fileMib, throughputTotalMib, throughputClients, fibN, matrixN, allocMib,
                requestTimeout, densityCounts, densityReadings);
    }

    public BenchProfile withThroughputTotalMib(long totalMib) {
        return new BenchProfile(reps, quick, burstSizes, idleMemoryCounts, idleSettle, idleWindow, memorySettle,
                heyRequests, heyClients, fileMib, totalMib, throughputClients, fibN, matrixN, allocMib,
                requestTimeout, densityCounts, densityReadings);
    }

    public BenchProfile withFibN(int n) {
        return new BenchProfile(reps, quick, burstSizes, idleMemoryCounts, idleSettle, idleWindow, memorySettle,
                heyRequests, heyClients, fileMib, throughputTotalMib, throughputClients, n, matrixN, allocMib,
                requestTimeout, densityCounts, densityReadings);
    }

    /** The live instance counts of the density experiment. */
    public BenchProfile withDensityCounts(List<Integer> counts) {
        return new BenchProfile(reps, quick, burstSizes, idleMemoryCounts, idleSettle, idleWindow, memorySettle,
                heyRequests, heyClients, fileMib, throughputTotalMib, throughputClients, fibN, matrixN, allocMib,
                requestTimeout, counts, densityReadings);
    }

    private static List<Integer> steps(int from, int to, int step) {
        return IntStream.iterate(from, n -> n <= to, n -> n + step).boxed().toList();
    }

    private static List<Integer> powersOfTwo(int max) {
        return IntStream.iterate(1, n -> n <= max, n -> n * 2).boxed().toList();
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("Invalid bench profile: " + what);
        }
    }
}
