package dev.isola.bench;

import java.util.OptionalLong;

/**
 * The fields of one {@code GET /system/instances} entry the benchmarks use.
 *
 * @param start how the instance started: {@code cold}, {@code standby} or {@code clone}
 */
record InstanceInfo(String id, String function, String state, String start, String endpoint, OptionalLong pid) {
    boolean ready() {
        return state.equals("ready");
    }
}
