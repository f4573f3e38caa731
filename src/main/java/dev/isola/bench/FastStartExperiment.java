package dev.isola.bench;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts below the sandbox floor (issue 17), beside the paper's cold starts: per backend, the three ways a call can
 * find its instance, interleaved in each repetition so that all three share the host's state.
 * <ul>
 *   <li>{@code cold}: single use with neither standby nor clones, every call a whole new sandbox (figure 3's
 *       measurement);</li>
 *   <li>{@code fast}: single use, every call a new instance, but one that skips most of the sandbox's start: a
 *       standby sandbox where the backend keeps them ({@code scaling.standby: 1}: the call starts a container
 *       created ahead of need, and the next is created after it) or, on microvm, a clone of the version's saved
 *       template. A fast call that turned out a cold start (the standby not yet replaced, the template not yet
 *       saved) is not recorded as fast. Backends with neither record no {@code fast} rows;</li>
 *   <li>{@code warm}: an instance already running, the floor of any start.</li>
 * </ul>
 * Completion time as the client sees it, as in the cold-start experiment. Then the host memory each fast sandbox
 * holds beside an instance started the ordinary way ({@link FastStartMemory}).
 */
final class FastStartExperiment implements Experiment {
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(60);
    /** A microVM template is saved a few seconds after the version's first boot (tens under load). */
    private static final Duration TEMPLATE_TIMEOUT = Duration.ofMinutes(3);
    /** Live at once for the memory readings ({@link FastStartMemory}); the figure is over 10 VMs. */
    private static final int MEMORY_INSTANCES = 10;
    private static final int QUICK_MEMORY_INSTANCES = 3;
    private static final Pattern START_COUNT = Pattern.compile(
            "^isola_cold_start_seconds_count\\{([^}]*)}\\s+(\\S+)", Pattern.MULTILINE);

    enum Fast { STANDBY, CLONE }

    @Override
    public void run(Trial t) throws InterruptedException {
        String cold = t.deploy(FunctionSpec.singleUse("hello", 1).tagged("cold"));
        String warm = t.deploy(FunctionSpec.warm("hello", 1).tagged("warm"));
        // Clones where the backend makes them (microvm); else standby where the server accepts it (runc, crun, runsc).
        FunctionSpec fastSpec = FunctionSpec.singleUse("hello", 1).tagged("fast");
        Optional<Fast> fastKind = Optional.empty();
        Optional<String> fast = Optional.empty();
        if (t.backend().equals("microvm")) {
            fast = Optional.of(t.deploy(fastSpec.withClones()));
            fastKind = Optional.of(Fast.CLONE);
        } else {
            fast = t.tryDeploy(fastSpec.withStandby(1));
            fastKind = fast.map(f -> Fast.STANDBY);
        }
        t.warmEndpoint(warm, "/");
        if (fastKind.equals(Optional.of(Fast.CLONE))) {
            awaitFirstClone(t, fast.orElseThrow());
        }
        for (int rep = 0; rep < t.profile().reps(); rep++) {
            t.checkStop();
            t.call("cold", "", rep, "completion_ms", t.client().invoke(cold, "/", t.profile().requestTimeout()));
            t.client().awaitGone(cold, SETTLE_TIMEOUT);
            if (fast.isPresent()) {
                measureFast(t, fast.get(), fastKind.get(), rep);
            }
            t.call("warm", "", rep, "completion_ms", t.client().invoke(warm, "/", t.profile().requestTimeout()));
            t.step();
        }
        t.remove(cold);
        t.remove(warm);
        if (fast.isPresent()) {
            t.remove(fast.get());
            FastStartMemory.measure(t, fastKind.get(), t.profile().quick() ? QUICK_MEMORY_INSTANCES
                    : MEMORY_INSTANCES);
        }
    }

    /** One fast call; before and after it the host is quiet (the standby's replacement made, the clone gone). */
    private static void measureFast(Trial t, String name, Fast kind, int rep) throws InterruptedException {
        if (kind == Fast.STANDBY) {
            t.client().awaitExactly(name, "standby", 1, SETTLE_TIMEOUT);
        }
        String expected = kind == Fast.STANDBY ? "standby" : "clone";
        double before = starts(t.client().metrics(), name, expected);
        Call call = t.client().invoke(name, "/", t.profile().requestTimeout());
        if (!call.ok() || starts(t.client().metrics(), name, expected) > before) {
            t.call("fast", "", rep, "completion_ms", call);
        }
        if (kind == Fast.STANDBY) {
            t.client().awaitExactly(name, "standby", 1, SETTLE_TIMEOUT);
        } else {
            t.client().awaitGone(name, SETTLE_TIMEOUT);
        }
    }

    /** Calls the clone function until a call is served by a clone: the first boots and makes the template. */
    private static void awaitFirstClone(Trial t, String name) throws InterruptedException {
        long deadline = System.nanoTime() + TEMPLATE_TIMEOUT.toNanos();
        while (starts(t.client().metrics(), name, "clone") == 0) {
            if (System.nanoTime() - deadline > 0) {
                throw BenchException.timedOut("No clone of " + name + " within " + TEMPLATE_TIMEOUT.toSeconds()
                        + " s: its template was not saved (the server log says why)");
            }
            t.client().invoke(name, "/", t.profile().requestTimeout());
            t.client().awaitGone(name, SETTLE_TIMEOUT);
        }
    }

    /** How many instances of {@code function} started as {@code start} ({@code isola_cold_start_seconds_count}). */
    static double starts(String prometheus, String function, String start) {
        Matcher m = START_COUNT.matcher(prometheus);
        double sum = 0;
        while (m.find()) {
            String labels = m.group(1);
            if (labels.contains("function=\"" + function + "\"") && labels.contains("start=\"" + start + "\"")) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }
}
