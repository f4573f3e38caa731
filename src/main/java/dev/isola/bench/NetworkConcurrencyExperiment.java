package dev.isola.bench;

import dev.isola.bench.result.Sample;

import java.time.Duration;
import java.util.List;

/**
 * Network concurrency (paper §4.7): {@code hey -n 32768 -c C} against one warm no-op instance for C = 1..4096 in
 * powers of two. Variant {@code direct} calls the instance's endpoint (from /system/instances) as the paper did,
 * bypassing the platform; variant {@code gateway} goes through Isola's gateway as users do. The function accepts up
 * to 10,000 concurrent requests on its single instance, so the gateway neither queues nor starts more instances.
 * Values per run: {@code requests_per_s} (hey's figure, which counts failed requests too, as the paper plotted it;
 * a run in which every request failed is an error row instead) and {@code errors} (requests without a 2xx answer;
 * its error column says of which kinds, {@link Hey#kind}: a refusal or a reset is the platform's, a timeout often
 * the client's own).
 */
final class NetworkConcurrencyExperiment implements Experiment {
    private static final int MAX_CONCURRENCY = 10_000;
    private static final Duration HEY_DEADLINE = Duration.ofMinutes(10);

    @Override
    public int steps(BenchProfile profile) {
        return 2 * profile.reps() * profile.heyClients().size();
    }

    @Override
    public void run(Trial t) throws InterruptedException {
        t.hey().requireInstalled();
        String name = t.deploy(FunctionSpec.warm("hello", MAX_CONCURRENCY));
        String endpoint = t.warmEndpoint(name, "/");
        List<String[]> targets = List.of(new String[]{"direct", "http://" + endpoint + "/"},
                new String[]{"gateway", t.client().base().resolve("/function/" + name).toString()});
        for (int clients : t.profile().heyClients()) {
            String x = Integer.toString(clients);
            for (String[] target : targets) {
                for (int rep = 0; rep < t.profile().reps(); rep++) {
                    t.checkStop();
                    try {
                        Hey.Outcome r = t.hey().run(target[1], t.profile().heyRequests(), clients, HEY_DEADLINE);
                        if (r.ok2xx() == 0) {
                            // hey still prints a rate when every request failed; that is no throughput.
                            t.failed(target[0], x, rep, "requests_per_s", "req/s", Sample.Status.ERROR,
                                    "all " + t.profile().heyRequests() + " requests failed");
                        } else {
                            t.ok(target[0], x, rep, "requests_per_s", r.requestsPerSecond(), "req/s");
                        }
                        t.ok(target[0], x, rep, "errors", r.errors(), "count", r.errorKinds());
                        if (r.errors() > 0) {
                            t.note(target[0] + " at " + x + " clients: " + r.errors() + " of "
                                    + t.profile().heyRequests() + " requests failed (" + r.errorKinds() + ")");
                        }
                    } catch (BenchException e) {
                        t.failed(target[0], x, rep, "requests_per_s", "req/s", Sample.Status.ERROR, e.getMessage());
                        t.failed(target[0], x, rep, "errors", "count", Sample.Status.ERROR, e.getMessage());
                    }
                    t.step();
                }
            }
        }
        t.remove(name);
    }
}
