package dev.isola.bench.result;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Reads and writes {@link Sample}s as RFC 4180 CSV with the header {@link #HEADER}. The schema is documented in
 * docs/bench.md; a file with another header is rejected rather than guessed at.
 */
public final class SampleCsv {
    public static final String HEADER = "experiment,backend,runtime,variant,x,rep,metric,value,unit,status,error";
    private static final int COLUMNS = 11;

    private SampleCsv() {
    }

    public static String header() {
        return HEADER;
    }

    /** One CSV line (no line terminator). */
    public static String line(Sample s) {
        GroupKey k = s.key();
        String value = s.value().isPresent() ? number(s.value().getAsDouble()) : "";
        return String.join(",", quote(k.experiment()), quote(k.backend()), quote(k.runtime()), quote(k.variant()),
                quote(k.x()), Integer.toString(s.rep()), quote(k.metric()), value, quote(s.unit()),
                s.status().wire(), quote(s.error()));
    }

    /** Writes the header and every sample; use {@link #line} to append to an open file. */
    public static void write(Path file, List<Sample> samples) {
        try (Writer w = Files.newBufferedWriter(file)) {
            w.write(HEADER);
            w.write('\n');
            for (Sample s : samples) {
                w.write(line(s));
                w.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to write " + file, e);
        }
    }

    public static List<Sample> read(Path file) {
        try (BufferedReader r = Files.newBufferedReader(file)) {
            String header = r.readLine();
            if (!HEADER.equals(header)) {
                throw new IllegalArgumentException(file + ": expected the header '" + HEADER + "', found '"
                        + header + "'");
            }
            List<Sample> samples = new ArrayList<>();
            int lineNo = 1;
            for (String row = nextRecord(r); row != null; row = nextRecord(r)) {
                lineNo++;
                if (row.isEmpty()) {
                    continue;
                }
                samples.add(parse(file, lineNo, fields(row)));
            }
            return samples;
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to read " + file, e);
        }
    }

    private static Sample parse(Path file, int lineNo, List<String> f) {
        if (f.size() != COLUMNS) {
            throw new IllegalArgumentException(file + ":" + lineNo + ": expected " + COLUMNS + " fields, found "
                    + f.size());
        }
        try {
            OptionalDouble value = f.get(7).isEmpty() ? OptionalDouble.empty()
                    : OptionalDouble.of(Double.parseDouble(f.get(7)));
            GroupKey key = new GroupKey(f.get(0), f.get(1), f.get(2), f.get(3), f.get(4), f.get(6));
            return new Sample(key, Integer.parseInt(f.get(5)), value, f.get(8), Sample.Status.fromWire(f.get(9)),
                    f.get(10));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ":" + lineNo + ": " + e.getMessage(), e);
        }
    }

    /** A record may span lines when a quoted field holds a line break. */
    private static String nextRecord(BufferedReader r) throws IOException {
        String line = r.readLine();
        if (line == null) {
            return null;
        }
        StringBuilder record = new StringBuilder(line);
        while (quotes(record) % 2 != 0) {
            String more = r.readLine();
            if (more == null) {
                break;
            }
            record.append('\n').append(more);
        }
        return record.toString();
    }

    private static long quotes(CharSequence s) {
        return s.chars().filter(c -> c == '"').count();
    }

    /** The fields of one RFC 4180 record (quotes removed, doubled quotes unescaped). */
    public static List<String> fields(String row) {
        List<String> out = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < row.length(); i++) {
            char c = row.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < row.length() && row.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        out.add(field.toString());
        return out;
    }

    private static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.6g", v).replaceFirst("\\.?0+(e|$)", "$1");
    }
}
