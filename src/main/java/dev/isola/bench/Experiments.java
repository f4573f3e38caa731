package dev.isola.bench;

import java.util.List;

/** Every experiment of the paper, in the order {@code isola bench all} runs them. */
public final class Experiments {
    private static final List<Experiment> ALL = List.of(new ColdStartExperiment(), new BurstExperiment(),
            new StartCostExperiment(), new IdleCpuExperiment(), new IdleMemoryExperiment(), new CpuExperiment(),
            new MemoryExperiment(), new NetworkConcurrencyExperiment(), new NetworkThroughputExperiment(),
            new DiskExperiment());

    private Experiments() {
    }

    /** The experiment ids, in run order. */
    public static List<String> ids() {
        return ALL.stream().map(Experiment::id).toList();
    }

    static Experiment byId(String id) {
        return ALL.stream().filter(e -> e.id().equals(id)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("Unknown experiment '" + id + "': use one of " + String.join(", ", ids())
                        + " or all"));
    }
}
