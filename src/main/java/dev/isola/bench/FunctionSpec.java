package dev.isola.bench;

/**
 * How an experiment deploys one paper workload: the manifest's scaling section, overriding the example's. Limits are
 * always the paper's (1 vCPU, 512 MiB) and the backend is the run's.
 *
 * @param workload     example function directory name: {@code hello}, {@code fib}, {@code matrix}, {@code alloc},
 *                     {@code static}, {@code read}
 * @param concurrency  requests one instance serves at once
 * @param minInstances instances kept warm (the idle experiments start instances this way, without a request)
 * @param maxInstances upper bound of instances
 * @param singleUse    a fresh instance per call (the paper's cold-start mode)
 * @param standby      sandboxes kept created ahead of need ({@code scaling.standby})
 * @param clones       whether microVMs may resume from a saved template; off unless asked, since the paper's
 *                     experiments measure booted VMs (and a template made in the background would share the host
 *                     with the measurement)
 * @param tag          told apart from other deployments of the same workload in one experiment; "" for none
 */
record FunctionSpec(String workload, int concurrency, int minInstances, int maxInstances, boolean singleUse,
                    int standby, boolean clones, String tag) {
    /** Every call a cold start on a fresh instance, up to {@code max} at once. */
    static FunctionSpec singleUse(String workload, int max) {
        return new FunctionSpec(workload, 1, 0, max, true, 0, false, "");
    }

    /** One long-lived instance serving up to {@code concurrency} requests at once. */
    static FunctionSpec warm(String workload, int concurrency) {
        return new FunctionSpec(workload, concurrency, 0, 1, false, 0, false, "");
    }

    /** {@code n} instances started by the platform itself and then left idle. */
    static FunctionSpec idle(String workload, int n) {
        return new FunctionSpec(workload, 1, n, n, false, 0, false, "");
    }

    FunctionSpec withStandby(int n) {
        return new FunctionSpec(workload, concurrency, minInstances, maxInstances, singleUse, n, clones, tag);
    }

    FunctionSpec withClones() {
        return new FunctionSpec(workload, concurrency, minInstances, maxInstances, singleUse, standby, true, tag);
    }

    FunctionSpec tagged(String name) {
        return new FunctionSpec(workload, concurrency, minInstances, maxInstances, singleUse, standby, clones, name);
    }
}
