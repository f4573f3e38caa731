package dev.isola.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Disk read (paper §4.8): warm calls of {@code read}, which reads a 50 MiB file (created by the warm-up call) fully
 * into memory. {@code duration_ms} is the call's completion time, as the paper measured; the function also reports the
 * time of the read alone, recorded as {@code read_ms}.
 */
final class DiskExperiment implements Experiment {
    private static final Pattern MICROS = Pattern.compile("\"micros\"\\s*:\\s*(\\d+)");

    @Override
    public String id() {
        return "disk";
    }

    @Override
    public String metric() {
        return "duration_ms";
    }

    @Override
    public String unit() {
        return "ms";
    }


    @Override
    public void run(Trial t) throws InterruptedException {
        WarmCalls.measure(t, "read", "?mib=" + t.profile().fileMib(), "", (call, rep) -> {
            Matcher m = MICROS.matcher(call.body());
            if (m.find()) {
                t.ok("", "", rep, "read_ms", Long.parseLong(m.group(1)) / 1000.0, "ms");
            }
        });
    }
}
