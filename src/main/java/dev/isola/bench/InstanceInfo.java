package dev.isola.bench;

import java.util.OptionalLong;

/** The fields of one {@code GET /system/instances} entry the benchmarks use. */
record InstanceInfo(String id, String function, String state, String endpoint, OptionalLong pid) {
    boolean ready() {
        return state.equals("ready");
    }
}
