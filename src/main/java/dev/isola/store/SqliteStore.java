package dev.isola.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.async.CallStore;
import dev.isola.function.FunctionName;
import dev.isola.function.FunctionVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@link Store} on one SQLite connection in WAL mode ({@link LockedConnection}), the asynchronous calls on a second
 * one ({@link SqliteCallStore}). Invocation inserts come only from
 * the {@link InvocationWriter} thread, in one transaction per batch. Timestamps: {@code deployed_at} is ISO-8601
 * text (lossless), an invocation's start is epoch microseconds (compact, orderable).
 *
 * <p>Durability: a version row is committed with {@code synchronous=FULL} (a deploy answered 201 survives a power
 * loss); invocation records with {@code NORMAL} (crash-safe in WAL mode, the last ones may go with the power). Old
 * invocation records are pruned by the writer thread every {@link #PRUNE_EVERY} ({@link InvocationRetention}).
 */
final class SqliteStore implements Store {
    static final Duration PRUNE_EVERY = Duration.ofMinutes(1);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {
    };
    private static final String VERSION_COLUMNS =
            "name, version, runtime, manifest_yaml, source_sha256, artifact_root, argv_json, deployed_at";

    private final Path file;
    private final LockedConnection db;
    private final InvocationWriter writer;
    private final SqliteCallStore calls;
    private final InvocationRetention retention;
    private final InstantSource clock;
    /** When the writer thread last pruned; only that thread reads and writes it. */
    private Instant lastPrune = Instant.MIN;
    private volatile boolean closed;

    private SqliteStore(Path file, LockedConnection db, SqliteCallStore calls, InvocationRetention retention,
                        InstantSource clock) {
        this.file = file;
        this.calls = calls;
        this.db = db;
        this.retention = retention;
        this.clock = clock;
        this.writer = new InvocationWriter(this::insertInvocations, InvocationWriter.DEFAULT_CAPACITY);
    }

    static Store open(Path dbFile, InvocationRetention retention, InstantSource clock) {
        Path file = dbFile.toAbsolutePath().normalize();
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            Files.createDirectories(file.getParent());
            LockedConnection db = LockedConnection.open(file);
            opened.add(db);
            db.with("migrate the schema", c -> {
                Schema.migrate(c, file);
                return null;
            });
            SqliteCallStore calls = new SqliteCallStore(LockedConnection.open(file));
            return new SqliteStore(file, db, calls, retention, clock);
        } catch (IOException | SQLException e) {
            closeQuietly(opened);
            throw new StoreException("Failed to open store " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(opened);
            throw e;
        }
    }

    @Override
    public int nextVersion(FunctionName name) {
        return withConnection("read next version of " + name, c -> {
            try (PreparedStatement st = c.prepareStatement("""
                    SELECT MAX(COALESCE((SELECT last_version FROM function_sequence WHERE name = ?), 0),
                               COALESCE((SELECT MAX(version) FROM function_version WHERE name = ?), 0))""")) {
                st.setString(1, name.value());
                st.setString(2, name.value());
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? rs.getInt(1) + 1 : 1;
                }
            }
        });
    }

    @Override
    public void insertVersion(FunctionVersion row) {
        withConnection("insert version " + row.name() + " v" + row.version(), c -> LockedConnection.durably(c, () -> {
            try (PreparedStatement st = c.prepareStatement(
                    "INSERT INTO function_version (" + VERSION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                st.setString(1, row.name().value());
                st.setInt(2, row.version());
                st.setString(3, row.runtime());
                st.setString(4, row.manifestYaml());
                st.setString(5, row.sourceSha256());
                st.setString(6, row.artifactRoot().toString());
                st.setString(7, toJson(row.argv()));
                st.setString(8, row.deployedAt().toString());
                st.executeUpdate();
            }
            // The high-water mark outlives deleteFunction, so version numbers are never handed out twice.
            try (PreparedStatement st = c.prepareStatement("""
                    INSERT INTO function_sequence (name, last_version) VALUES (?, ?)
                    ON CONFLICT (name) DO UPDATE SET last_version = MAX(last_version, excluded.last_version)""")) {
                st.setString(1, row.name().value());
                st.setInt(2, row.version());
                st.executeUpdate();
            }
        }));
    }

    @Override
    public Optional<FunctionVersion> latest(FunctionName name) {
        List<FunctionVersion> rows = queryVersions("read latest version of " + name,
                "SELECT " + VERSION_COLUMNS + " FROM function_version WHERE name = ? ORDER BY version DESC LIMIT 1",
                name.value());
        return rows.stream().findFirst();
    }

    @Override
    public List<FunctionVersion> versions(FunctionName name) {
        return queryVersions("read versions of " + name,
                "SELECT " + VERSION_COLUMNS + " FROM function_version WHERE name = ? ORDER BY version", name.value());
    }

    @Override
    public Optional<FunctionVersion> active(FunctionName name) {
        return queryVersions("read active version of " + name, """
                SELECT %s FROM function_version v JOIN function_active a USING (name, version)
                WHERE name = ?""".formatted(prefixed("v")), name.value()).stream().findFirst();
    }

    @Override
    public List<FunctionVersion> activeOfEach() {
        return queryVersions("read functions", """
                SELECT %s FROM function_version v JOIN function_active a USING (name, version)
                ORDER BY name""".formatted(prefixed("v")));
    }

    @Override
    public boolean activate(FunctionName name, int version) {
        return split(name, version, Map.of());
    }

    @Override
    public boolean split(FunctionName name, int primary, Map<Integer, Integer> weights) {
        return withConnection("route calls of " + name, c -> {
            boolean[] stored = new boolean[1];
            LockedConnection.durably(c, () -> {
                for (int version : weights.keySet()) {
                    if (!stored(c, name, version)) {
                        return;
                    }
                }
                try (PreparedStatement st = c.prepareStatement("""
                        INSERT INTO function_active (name, version)
                            SELECT name, version FROM function_version WHERE name = ? AND version = ?
                        ON CONFLICT (name) DO UPDATE SET
                            previous = CASE WHEN version = excluded.version THEN previous ELSE version END,
                            version = excluded.version""")) {
                    st.setString(1, name.value());
                    st.setInt(2, primary);
                    stored[0] = st.executeUpdate() > 0;
                }
                if (!stored[0]) {
                    return;
                }
                try (PreparedStatement st = c.prepareStatement("DELETE FROM function_traffic WHERE name = ?")) {
                    st.setString(1, name.value());
                    st.executeUpdate();
                }
                try (PreparedStatement st = c.prepareStatement(
                        "INSERT INTO function_traffic (name, version, weight) VALUES (?, ?, ?)")) {
                    for (Map.Entry<Integer, Integer> w : weights.entrySet()) {
                        st.setString(1, name.value());
                        st.setInt(2, w.getKey());
                        st.setInt(3, w.getValue());
                        st.addBatch();
                    }
                    st.executeBatch();
                }
            });
            return stored[0];
        });
    }

    private static boolean stored(Connection c, FunctionName name, int version) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(
                "SELECT 1 FROM function_version WHERE name = ? AND version = ?")) {
            st.setString(1, name.value());
            st.setInt(2, version);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Override
    public Map<Integer, Integer> traffic(FunctionName name) {
        return withConnection("read traffic of " + name, c -> {
            try (PreparedStatement st = c.prepareStatement(
                    "SELECT version, weight FROM function_traffic WHERE name = ? ORDER BY version")) {
                st.setString(1, name.value());
                Map<Integer, Integer> weights = new TreeMap<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        weights.put(rs.getInt(1), rs.getInt(2));
                    }
                }
                return weights;
            }
        });
    }

    @Override
    public Optional<FunctionVersion> previous(FunctionName name) {
        return queryVersions("read previous version of " + name, """
                SELECT %s FROM function_version v JOIN function_active a ON v.name = a.name AND v.version = a.previous
                WHERE v.name = ?""".formatted(prefixed("v")), name.value()).stream().findFirst();
    }

    /** {@link #VERSION_COLUMNS} qualified by a table alias, for joins. */
    private static String prefixed(String alias) {
        return Arrays.stream(VERSION_COLUMNS.split(", ")).map(c -> alias + "." + c).collect(Collectors.joining(", "));
    }

    @Override
    public boolean deleteFunction(FunctionName name) {
        // One durable transaction, as a deploy's: a power cut after the 204 brought the function back (its logs
        // already gone), and a crash between statements left its active version or traffic split behind.
        return withConnection("delete function " + name, c -> {
            boolean[] existed = new boolean[1];
            LockedConnection.durably(c, () -> {
                try (PreparedStatement st = c.prepareStatement("DELETE FROM function_version WHERE name = ?")) {
                    st.setString(1, name.value());
                    existed[0] = st.executeUpdate() > 0;
                }
                for (String table : List.of("function_active", "function_traffic")) {
                    try (PreparedStatement st = c.prepareStatement("DELETE FROM " + table + " WHERE name = ?")) {
                        st.setString(1, name.value());
                        st.executeUpdate();
                    }
                }
                InvocationBatches.delete(c, name);
            });
            return existed[0];
        });
    }

    @Override
    public int pruneVersions(FunctionName name, int keep) {
        int[] deleted = new int[1];
        withConnection("prune old versions of " + name, c -> LockedConnection.durably(c, () -> {
            try (PreparedStatement st = c.prepareStatement("""
                    DELETE FROM function_version WHERE name = ? AND version NOT IN
                        (SELECT version FROM function_version WHERE name = ? ORDER BY version DESC LIMIT ?)
                    AND version NOT IN (SELECT version FROM function_active WHERE name = ?
                                        UNION SELECT previous FROM function_active WHERE name = ?
                                                                                     AND previous IS NOT NULL
                                        UNION SELECT version FROM function_traffic WHERE name = ?)""")) {
                st.setString(1, name.value());
                st.setString(2, name.value());
                st.setInt(3, keep);
                st.setString(4, name.value());
                st.setString(5, name.value());
                st.setString(6, name.value());
                deleted[0] = st.executeUpdate();
            }
        }));
        return deleted[0];
    }

    /** Deletes invocation records past the retention; the number deleted. */
    long pruneInvocations() {
        long oldest = ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant().minus(retention.maxAge()));
        long[] deleted = new long[1];
        withConnection("prune invocation records", c -> LockedConnection.inTransaction(c,
                () -> deleted[0] = InvocationBatches.prune(c, oldest, retention.maxRows())));
        return deleted[0];
    }

    @Override
    public void record(InvocationRecord invocation) {
        writer.submit(invocation);
    }

    @Override
    public long droppedInvocations() {
        return writer.dropped();
    }

    @Override
    public void flush() {
        writer.flush();
    }

    @Override
    public boolean flush(Duration within) {
        return writer.flush(within);
    }

    @Override
    public List<InvocationRecord> recentInvocations(FunctionName function, int limit) {
        return withConnection("read invocations of " + function, c -> InvocationBatches.recent(c, function, limit));
    }

    @Override
    public long invocationCount(FunctionName function) {
        return withConnection("count invocations of " + function, c -> InvocationBatches.count(c, function));
    }

    @Override
    public CallStore calls() {
        return calls;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        writer.close();
        calls.close();
        db.close();
    }

    /** The writer thread's sink: one batch, one transaction, a row per function ({@link InvocationBatches}). */
    private void insertInvocations(List<InvocationRecord> batch) {
        Instant now = clock.instant();
        if (lastPrune.equals(Instant.MIN) || Duration.between(lastPrune, now).compareTo(PRUNE_EVERY) >= 0) {
            lastPrune = now;
            pruneInvocations();
        }
        List<InvocationBatches.Encoded> rows = InvocationBatches.encodeByFunction(batch);
        withConnection("write " + batch.size() + " invocation records",
                c -> LockedConnection.inTransaction(c, () -> InvocationBatches.insert(c, rows)));
    }

    private List<FunctionVersion> queryVersions(String what, String sql, String... parameters) {
        return withConnection(what, c -> {
            try (PreparedStatement st = c.prepareStatement(sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    st.setString(i + 1, parameters[i]);
                }
                List<FunctionVersion> rows = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new FunctionVersion(FunctionName.of(rs.getString(1)), rs.getInt(2), rs.getString(3),
                                rs.getString(4), rs.getString(5), Path.of(rs.getString(6)), fromJson(rs.getString(7)),
                                Instant.parse(rs.getString(8))));
                    }
                }
                return List.copyOf(rows);
            }
        });
    }

    private <T> T withConnection(String what, LockedConnection.SqlWork<T> work) {
        return db.with(what, work);
    }

    private static String toJson(List<String> argv) {
        try {
            return JSON.writeValueAsString(argv);
        } catch (JsonProcessingException e) {
            throw new StoreException("Failed to encode argv " + argv + ": " + e.getMessage(), e);
        }
    }

    private static List<String> fromJson(String json) throws SQLException {
        try {
            return JSON.readValue(json, STRING_LIST);
        } catch (JsonProcessingException e) {
            throw new SQLException("corrupt argv_json " + json + ": " + e.getOriginalMessage(), e);
        }
    }

    private static void closeQuietly(List<AutoCloseable> opened) {
        for (AutoCloseable c : opened) {
            try {
                c.close();
            } catch (Exception e) {
                // Already failing to open; the original error is the one worth reporting.
            }
        }
    }
}
