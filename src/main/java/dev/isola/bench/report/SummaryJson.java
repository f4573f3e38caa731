package dev.isola.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isola.bench.result.GroupKey;
import dev.isola.bench.result.Sample;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalDouble;

/**
 * Writes {@code summary.json}: one object per group with its key, counts and statistics. Statistics a group
 * cannot have (all repetitions failed; no spread with one value) are {@code null}, never 0, so a consumer cannot
 * mistake "not measured" for "measured zero".
 */
final class SummaryJson {
    static final int SCHEMA_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SummaryJson() {
    }

    static void write(Summary summary, Path file) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema_version", SCHEMA_VERSION);
        root.put("confidence", Stats.CONFIDENCE);
        root.put("quantiles", "linear interpolation between closest ranks (type 7)");
        ArrayNode groups = root.putArray("groups");
        for (Group g : summary.groups()) {
            groups.add(group(g));
        }
        try {
            JSON.writeValue(file.toFile(), root);
        } catch (IOException e) {
            throw new BenchReportException("Failed to write summary " + file + ": " + e.getMessage(), e);
        }
    }

    private static ObjectNode group(Group g) {
        ObjectNode o = JSON.createObjectNode();
        GroupKey k = g.key();
        o.put("experiment", k.experiment());
        o.put("backend", k.backend());
        o.put("runtime", k.runtime());
        o.put("variant", k.variant());
        o.put("x", k.x());
        o.put("metric", k.metric());
        o.put("unit", g.unit());
        o.put("n_ok", g.ok());
        o.put("n_failed", g.failed());
        ObjectNode byStatus = o.putObject("failed_by_status");
        for (Sample.Status status : Sample.Status.values()) {
            if (status != Sample.Status.OK) {
                byStatus.put(status.wire(), g.failed(status));
            }
        }
        Stats s = g.stats().orElse(null);
        number(o, "mean", s == null ? OptionalDouble.empty() : OptionalDouble.of(s.mean()));
        number(o, "median", s == null ? OptionalDouble.empty() : OptionalDouble.of(s.median()));
        number(o, "p95", s == null ? OptionalDouble.empty() : OptionalDouble.of(s.p95()));
        number(o, "stddev", s == null ? OptionalDouble.empty() : s.stddev());
        number(o, "interval_low", s == null ? OptionalDouble.empty() : s.low());
        number(o, "interval_high", s == null ? OptionalDouble.empty() : s.high());
        if (s != null) {
            o.put("interval", s.interval().wire());
        }
        ArrayNode errors = o.putArray("errors");
        g.errors().forEach(errors::add);
        return o;
    }

    private static void number(ObjectNode o, String name, OptionalDouble value) {
        if (value.isPresent()) {
            o.put(name, value.getAsDouble());
        } else {
            o.putNull(name);
        }
    }
}
