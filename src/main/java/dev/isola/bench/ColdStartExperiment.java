package dev.isola.bench;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cold start (paper §4.1): the no-op {@code hello} deployed single-use, so every call starts a fresh instance; one
 * call per repetition, its completion time as the client sees it ({@code completion_ms}, like the paper's
 * {@code hey -n 1 -c 1}). The dispatcher's own start-to-ready figure is added as {@code isola_cold_start_ms}, read as
 * the growth of the {@code isola_cold_start_seconds} histogram's sum in /metrics across the call. The previous
 * instance is gone before the next call starts, so stops never overlap starts.
 */
final class ColdStartExperiment implements Experiment {
    private static final Duration GONE_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public void run(Trial t) throws InterruptedException {
        String name = t.deploy(FunctionSpec.singleUse("hello", 1));
        for (int rep = 0; rep < t.profile().reps(); rep++) {
            t.checkStop();
            double before = coldStartSeconds(t.client().metrics(), name);
            Call call = t.client().invoke(name, "/", t.profile().requestTimeout());
            t.call("", "", rep, "completion_ms", call);
            if (call.ok()) {
                double after = coldStartSeconds(t.client().metrics(), name);
                if (after > before) {
                    t.ok("", "", rep, "isola_cold_start_ms", (after - before) * 1000, "ms");
                }
            }
            t.client().awaitGone(name, GONE_TIMEOUT);
            t.step();
        }
        t.remove(name);
    }

    /** The sum of {@code isola_cold_start_seconds} for one function (over its backends); 0 when absent. */
    static double coldStartSeconds(String prometheus, String function) {
        Pattern p = Pattern.compile("^isola_cold_start_seconds_sum\\{[^}]*function=\"" + Pattern.quote(function)
                + "\"[^}]*}\\s+(\\S+)", Pattern.MULTILINE);
        Matcher m = p.matcher(prometheus);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }
}
