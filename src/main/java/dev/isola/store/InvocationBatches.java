package dev.isola.store;

import dev.isola.function.FunctionName;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Invocation records as the database keeps them: one {@code invocation_batch} row per function and writer batch,
 * its records as text lines ({@code start duration cold status backend instance}, in the order they were written),
 * deflated.
 *
 * <p>Why not a row per invocation: rows inserted one by one (a B-tree insert into the table and one into its index,
 * a JDBC bind per column) cost the writer about 3.5 µs each. At 7,000 calls a second its batch every 20 ms then held a
 * core for about 0.45 ms, and the calls that waited for that core doubled the gateway's added p99 at c=1
 * ({@code bench/gateway-latency.sh}: 510–970 µs with records, 255–340 without, nginx 225–245). A batch is one insert.
 *
 * <p>Why deflated: a batch's text (about 70 bytes a record, the same instance ids and start prefixes again and again)
 * shrinks seven- to eightfold, and every byte the database writes goes through the file system, its journal and the
 * kernel's writeback while calls are served, and wears an edge node's flash. Deflating (zlib's fastest level, about
 * 0.5 ms for 1,500 records) is part of encoding, done before the store's lock is taken, at the writer's idle
 * priority. Rows written before (and by the migration from a row per record) hold plain text and are read as such.
 *
 * <p>Reads and retention stay exact per record: the newest records are collected across batches by their start,
 * and pruning rewrites the batches that straddle a limit instead of keeping or dropping them whole.
 */
final class InvocationBatches {
    private static final String COLUMNS = "first_micros, last_micros, records, lines";

    private InvocationBatches() {
    }

    /**
     * {@code records} as the rows {@link #insert} writes, one per function. Made before the store's lock is taken:
     * encoding is most of a batch's cost, and the writer holds the lock at normal priority.
     */
    static List<Encoded> encodeByFunction(List<InvocationRecord> records) {
        Map<FunctionName, List<InvocationRecord>> byFunction = new LinkedHashMap<>();
        for (InvocationRecord r : records) {
            byFunction.computeIfAbsent(r.function(), f -> new ArrayList<>()).add(r);
        }
        List<Encoded> rows = new ArrayList<>(byFunction.size());
        byFunction.values().forEach(its -> rows.add(Encoded.of(its)));
        return rows;
    }

    static void insert(Connection c, List<Encoded> rows) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO invocation_batch (function, " + COLUMNS + ") VALUES (?, ?, ?, ?, ?)")) {
            for (Encoded row : rows) {
                st.setString(1, row.function().value());
                row.bind(st, 2);
                st.addBatch();
            }
            st.executeBatch();
        }
    }

    /**
     * The {@code limit} records of {@code function} that started last, newest first (of equal starts, the one written
     * last first). Batches are read newest-ending first, and only until none left can hold a newer start.
     */
    static List<InvocationRecord> recent(Connection c, FunctionName function, int limit) throws SQLException {
        if (limit <= 0) {
            return List.of();
        }
        List<Numbered> found = new ArrayList<>();
        Comparator<Numbered> newestFirst = Comparator.comparing((Numbered n) -> n.record().start())
                .thenComparingLong(Numbered::batch).thenComparingInt(Numbered::line).reversed();
        try (PreparedStatement st = c.prepareStatement("SELECT id, last_micros, lines FROM invocation_batch "
                + "WHERE function = ? ORDER BY last_micros DESC, id DESC")) {
            st.setString(1, function.value());
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    if (found.size() >= limit && rs.getLong(2) < micros(found.getLast().record().start())) {
                        break; // everything further started before the limit-th newest so far
                    }
                    List<InvocationRecord> lines = decode(function, lines(rs, 3));
                    for (int i = 0; i < lines.size(); i++) {
                        found.add(new Numbered(lines.get(i), rs.getLong(1), i));
                    }
                    found.sort(newestFirst);
                    if (found.size() > limit) {
                        found.subList(limit, found.size()).clear();
                    }
                }
            }
        }
        return found.stream().map(Numbered::record).toList();
    }

    static long count(Connection c, FunctionName function) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(
                "SELECT COALESCE(SUM(records), 0) FROM invocation_batch WHERE function = ?")) {
            st.setString(1, function.value());
            return single(st);
        }
    }

    static void delete(Connection c, FunctionName function) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("DELETE FROM invocation_batch WHERE function = ?")) {
            st.setString(1, function.value());
            st.executeUpdate();
        }
    }

    /**
     * Deletes the records that started before {@code oldestMicros}, then all but the newest {@code maxRows} written;
     * the number of records deleted. Call it in a transaction.
     */
    static long prune(Connection c, long oldestMicros, long maxRows) throws SQLException {
        return pruneByAge(c, oldestMicros) + pruneByCount(c, maxRows);
    }

    private static long pruneByAge(Connection c, long oldestMicros) throws SQLException {
        long deleted = deleteWhere(c, "last_micros < ?", oldestMicros);
        List<Batch> straddling = new ArrayList<>();
        try (PreparedStatement st = c.prepareStatement(
                "SELECT id, function, lines FROM invocation_batch WHERE first_micros < ?")) {
            st.setLong(1, oldestMicros);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    straddling.add(new Batch(rs.getLong(1), decode(FunctionName.of(rs.getString(2)), lines(rs, 3))));
                }
            }
        }
        for (Batch b : straddling) { // each ends at or after the limit, so it keeps at least its last start
            List<InvocationRecord> kept = b.records().stream().filter(r -> micros(r.start()) >= oldestMicros).toList();
            deleted += b.records().size() - kept.size();
            rewrite(c, b.id(), kept);
        }
        return deleted;
    }

    private static long pruneByCount(Connection c, long maxRows) throws SQLException {
        long id;
        int records;
        long newer;
        // The newest batch whose records, with all newer ones, reach maxRows: the one that holds the limit.
        try (PreparedStatement st = c.prepareStatement("""
                SELECT id, records, newer FROM (SELECT id, records, SUM(records) OVER (ORDER BY id DESC) AS newer
                                                FROM invocation_batch)
                WHERE newer >= ? ORDER BY id DESC LIMIT 1""")) {
            st.setLong(1, maxRows);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return 0;
                }
                id = rs.getLong(1);
                records = rs.getInt(2);
                newer = rs.getLong(3);
            }
        }
        long deleted = deleteWhere(c, "id < ?", id);
        int keep = (int) (maxRows - (newer - records));
        if (keep < records) {
            List<InvocationRecord> lines = read(c, id);
            rewrite(c, id, lines.subList(lines.size() - keep, lines.size()));
            deleted += records - keep;
        }
        return deleted;
    }

    private static long deleteWhere(Connection c, String condition, long value) throws SQLException {
        long records;
        try (PreparedStatement st = c.prepareStatement(
                "SELECT COALESCE(SUM(records), 0) FROM invocation_batch WHERE " + condition)) {
            st.setLong(1, value);
            records = single(st);
        }
        try (PreparedStatement st = c.prepareStatement("DELETE FROM invocation_batch WHERE " + condition)) {
            st.setLong(1, value);
            st.executeUpdate();
        }
        return records;
    }

    private static void rewrite(Connection c, long id, List<InvocationRecord> records) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("UPDATE invocation_batch SET first_micros = ?, "
                + "last_micros = ?, records = ?, lines = ? WHERE id = ?")) {
            Encoded.of(records).bind(st, 1);
            st.setLong(5, id);
            st.executeUpdate();
        }
    }

    private static List<InvocationRecord> read(Connection c, long id) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT function, lines FROM invocation_batch WHERE id = ?")) {
            st.setLong(1, id);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("invocation batch " + id + " vanished during the prune");
                }
                return decode(FunctionName.of(rs.getString(1)), lines(rs, 2));
            }
        }
    }

    private static long single(PreparedStatement st) throws SQLException {
        try (ResultSet rs = st.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /** One row's values: a function's records of a batch, their first and last start, and their lines deflated. */
    record Encoded(FunctionName function, long firstMicros, long lastMicros, int records, byte[] lines) {
        /** {@code records}: one function's, at least one. */
        static Encoded of(List<InvocationRecord> records) {
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            for (InvocationRecord r : records) {
                first = Math.min(first, micros(r.start()));
                last = Math.max(last, micros(r.start()));
            }
            return new Encoded(records.getFirst().function(), first, last, records.size(), deflate(encode(records)));
        }

        /** Binds first_micros, last_micros, records and lines from parameter {@code at} on. */
        void bind(PreparedStatement st, int at) throws SQLException {
            st.setLong(at, firstMicros);
            st.setLong(at + 1, lastMicros);
            st.setInt(at + 2, records);
            st.setBytes(at + 3, lines);
        }
    }

    /**
     * One line per record. The instance id comes last and is split off whole, so only a line break in it (which
     * Isola's ids never hold) would be changed, to a space.
     */
    static String encode(List<InvocationRecord> records) {
        StringBuilder out = new StringBuilder(records.size() * 48);
        for (InvocationRecord r : records) {
            if (!out.isEmpty()) {
                out.append('\n');
            }
            out.append(micros(r.start())).append(' ').append(r.durationMicros()).append(' ')
                    .append(r.coldStart() ? 1 : 0).append(' ').append(r.status()).append(' ')
                    .append(r.backend().replace(' ', '_').replace('\n', '_')).append(' ')
                    .append(r.instanceId().replace('\n', ' ').replace('\r', ' '));
        }
        return out.toString();
    }

    static List<InvocationRecord> decode(FunctionName function, String lines) {
        List<InvocationRecord> records = new ArrayList<>();
        for (String line : lines.split("\n", -1)) {
            String[] f = line.split(" ", 6);
            if (f.length != 6) {
                throw new StoreException("Malformed invocation record of " + function + ": '" + line + "'");
            }
            records.add(new InvocationRecord(function, Instant.EPOCH.plus(Long.parseLong(f[0]), ChronoUnit.MICROS),
                    Long.parseLong(f[1]), f[2].equals("1"), Integer.parseInt(f[3]), f[4], f[5]));
        }
        return records;
    }

    /** The lines column of {@code rs} as text: deflated (a BLOB) as this class writes it, or plain text as before. */
    private static String lines(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column) instanceof byte[] deflated ? inflate(deflated) : rs.getString(column);
    }

    static byte[] deflate(String text) {
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            deflater.setInput(text.getBytes(StandardCharsets.UTF_8));
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() / 8 + 64);
            byte[] chunk = new byte[16 * 1024];
            while (!deflater.finished()) {
                out.write(chunk, 0, deflater.deflate(chunk));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    static String inflate(byte[] deflated) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(deflated);
            ByteArrayOutputStream out = new ByteArrayOutputStream(deflated.length * 8);
            byte[] chunk = new byte[16 * 1024];
            while (!inflater.finished()) {
                int n = inflater.inflate(chunk);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new StoreException("Malformed invocation batch: its deflated lines end early");
                }
                out.write(chunk, 0, n);
            }
            return out.toString(StandardCharsets.UTF_8);
        } catch (DataFormatException e) {
            throw new StoreException("Malformed invocation batch: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    private static long micros(Instant instant) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
    }

    private record Batch(long id, List<InvocationRecord> records) {
    }

    /** A record with where it was written, for the tie-break of equal starts. */
    private record Numbered(InvocationRecord record, long batch, int line) {
    }
}
