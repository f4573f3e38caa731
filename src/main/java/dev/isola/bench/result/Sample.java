package dev.isola.bench.result;

import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One measured value of one repetition of one experiment: the unit of every raw CSV file {@code isola bench}
 * writes (long format, one row per value, so that every experiment shares one schema and one reader).
 *
 * @param key     what was measured and where (experiment, backend, runtime, variant, x, metric)
 * @param rep     repetition index, from 0
 * @param value   the value; absent when {@code status} is not {@link Status#OK}
 * @param unit    unit of {@code value}, e.g. {@code ms}, {@code MiB}, {@code req/s}
 * @param status  outcome of the repetition: failures are recorded, never dropped
 * @param error   what went wrong; empty when the repetition succeeded
 */
public record Sample(GroupKey key, int rep, OptionalDouble value, String unit, Status status, String error) {

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
        Objects.requireNonNull(key, "key");
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
        return ok(experiment, backend, runtime, variant, x, rep, metric, value, unit, "");
    }

    /** A measured value with a remark in the error column: what a count of failed requests was made of. */
    public static Sample ok(String experiment, String backend, String runtime, String variant, String x, int rep,
                            String metric, double value, String unit, String remark) {
        return new Sample(new GroupKey(experiment, backend, runtime, variant, x, metric), rep,
                OptionalDouble.of(value), unit, Status.OK, remark);
    }

    public static Sample failed(String experiment, String backend, String runtime, String variant, String x,
                                int rep, String metric, String unit, Status status, String error) {
        return new Sample(new GroupKey(experiment, backend, runtime, variant, x, metric), rep,
                OptionalDouble.empty(), unit, status, error);
    }

    public boolean ok() {
        return status == Status.OK;
    }
}
