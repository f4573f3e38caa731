package dev.isola.bench.result;

import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One measured value of one repetition of one experiment: the unit of every raw CSV file {@code isola bench}
 * writes (long format, one row per value, so that every experiment shares one schema and one reader).
 *
 * @param experiment  experiment id, e.g. {@code cold-start}, {@code burst}, {@code idle-memory}
 * @param backend     sandbox backend, e.g. {@code runc}
 * @param runtime     function runtime, {@code go} or {@code node}
 * @param variant     sub-case of the experiment ({@code matrix}/{@code alloc}, {@code direct}/{@code gateway},
 *                    {@code cpu-time}/{@code instructions}); empty when the experiment has none
 * @param x           independent variable of a line experiment (burst size, instance count, clients); empty
 *                    for bar experiments
 * @param rep         repetition index, from 0
 * @param metric      what was measured, snake case with the unit's meaning, e.g. {@code completion_ms}
 * @param value       the value; absent when {@code status} is not {@link Status#OK}
 * @param unit        unit of {@code value}, e.g. {@code ms}, {@code MiB}, {@code req/s}
 * @param status      outcome of the repetition: failures are recorded, never dropped
 * @param error       what went wrong; empty when the repetition succeeded
 */
public record Sample(String experiment, String backend, String runtime, String variant, String x, int rep,
                     String metric, OptionalDouble value, String unit, Status status, String error) {

    public enum Status {
        OK, TIMEOUT, ERROR;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Status fromWire(String text) {
            return valueOf(text.toUpperCase(Locale.ROOT));
        }
    }

    public Sample {
        Objects.requireNonNull(experiment, "experiment");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(error, "error");
        if (rep < 0) {
            throw new IllegalArgumentException("rep must be >= 0: " + rep);
        }
        if ((status == Status.OK) != value.isPresent()) {
            throw new IllegalArgumentException("a value is present exactly when the status is ok: " + status);
        }
    }

    public static Sample ok(String experiment, String backend, String runtime, String variant, String x, int rep,
                            String metric, double value, String unit) {
        return new Sample(experiment, backend, runtime, variant, x, rep, metric, OptionalDouble.of(value), unit,
                Status.OK, "");
    }

    public static Sample failed(String experiment, String backend, String runtime, String variant, String x,
                                int rep, String metric, String unit, Status status, String error) {
        return new Sample(experiment, backend, runtime, variant, x, rep, metric, OptionalDouble.empty(), unit,
                status, error);
    }

    public boolean ok() {
        return status == Status.OK;
    }
}
