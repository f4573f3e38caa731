package dev.isola.bench;

import dev.isola.bench.result.Sample;

import java.time.Duration;

/**
 * Network throughput (paper §4.7): {@code static} serves a 50 MiB file; per repetition, 4 concurrent hey clients fetch
 * it until the total (10 GiB by default, as the paper: 204 requests) has been requested, straight from the instance's
 * endpoint as the paper did. {@code throughput_mib_s} = MiB of 2xx answers / hey's wall time. A run with failed
 * requests is recorded as an error, with their count.
 */
final class NetworkThroughputExperiment implements Experiment {
    private static final Duration HEY_DEADLINE = Duration.ofMinutes(30);

    @Override
    public void run(Trial t) throws InterruptedException {
        t.hey().requireInstalled();
        BenchProfile p = t.profile();
        String query = "?mib=" + p.fileMib();
        String name = t.deploy(FunctionSpec.warm("static", 4 * p.throughputClients()));
        String url = "http://" + t.warmEndpoint(name, query) + "/" + query;
        int requests = (int) Math.max(p.throughputClients(), p.throughputTotalMib() / p.fileMib());
        for (int rep = 0; rep < p.reps(); rep++) {
            t.checkStop();
            try {
                Hey.Outcome r = t.hey().run(url, requests, p.throughputClients(), HEY_DEADLINE);
                if (r.errors() > 0) {
                    t.failed("", "", rep, "throughput_mib_s", "MiB/s", Sample.Status.ERROR,
                            r.errors() + " of " + requests + " requests failed");
                } else {
                    t.ok("", "", rep, "throughput_mib_s", r.ok2xx() * (double) p.fileMib() / r.totalSeconds(),
                            "MiB/s");
                }
            } catch (BenchException e) {
                t.failed("", "", rep, "throughput_mib_s", "MiB/s", Sample.Status.ERROR, e.getMessage());
            }
            t.step();
        }
        t.remove(name);
    }
}
