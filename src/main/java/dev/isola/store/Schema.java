package dev.isola.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The database schema as an append-only list of migrations; {@code schema_version} records how many ran. A change
 * adds a migration and never edits an old one, so any older database is brought forward step by step.
 */
final class Schema {
    private static final List<List<String>> MIGRATIONS = List.of(
            List.of("""
                    CREATE TABLE function_version (
                        name           TEXT    NOT NULL,
                        version        INTEGER NOT NULL,
                        runtime        TEXT    NOT NULL,
                        manifest_yaml  TEXT    NOT NULL,
                        source_sha256  TEXT    NOT NULL,
                        artifact_root  TEXT    NOT NULL,
                        argv_json      TEXT    NOT NULL,
                        deployed_at    TEXT    NOT NULL,
                        PRIMARY KEY (name, version)
                    )""", """
                    CREATE TABLE function_sequence (
                        name           TEXT    PRIMARY KEY,
                        last_version   INTEGER NOT NULL
                    )""", """
                    CREATE TABLE invocation (
                        id             INTEGER PRIMARY KEY,
                        function       TEXT    NOT NULL,
                        start_micros   INTEGER NOT NULL,
                        duration_micros INTEGER NOT NULL,
                        cold_start     INTEGER NOT NULL,
                        status         INTEGER NOT NULL,
                        backend        TEXT    NOT NULL,
                        instance_id    TEXT    NOT NULL
                    )""",
                    "CREATE INDEX invocation_by_function ON invocation (function, start_micros)"),
            // The version that serves, apart from the newest (rollback, staged deploys), and the one before it.
            List.of("""
                    CREATE TABLE function_active (
                        name           TEXT    PRIMARY KEY,
                        version        INTEGER NOT NULL,
                        previous       INTEGER
                    )""", """
                    INSERT INTO function_active (name, version)
                        SELECT name, MAX(version) FROM function_version GROUP BY name"""),
            // A traffic split: the weight of each version that takes calls. No rows: the active version takes all.
            List.of("""
                    CREATE TABLE function_traffic (
                        name           TEXT    NOT NULL,
                        version        INTEGER NOT NULL,
                        weight         INTEGER NOT NULL,
                        PRIMARY KEY (name, version)
                    )"""),
            // Asynchronous calls: the request as it came, where it stands, the last attempt's result.
            List.of("""
                    CREATE TABLE async_call (
                        id             TEXT    PRIMARY KEY,
                        function       TEXT    NOT NULL,
                        method         TEXT    NOT NULL,
                        target         TEXT    NOT NULL,
                        headers_json   TEXT    NOT NULL,
                        body           BLOB    NOT NULL,
                        callback_url   TEXT,
                        idempotency_key TEXT,
                        state          TEXT    NOT NULL,
                        attempts       INTEGER NOT NULL,
                        submitted_micros INTEGER NOT NULL,
                        started_micros INTEGER,
                        finished_micros INTEGER,
                        next_micros    INTEGER,
                        result_status  INTEGER,
                        result_headers_json TEXT,
                        result_body    BLOB,
                        result_truncated INTEGER,
                        error          TEXT,
                        callback_outcome TEXT
                    )""",
                    "CREATE INDEX async_call_by_function ON async_call (function, submitted_micros)",
                    """
                    CREATE INDEX async_call_by_key ON async_call (function, idempotency_key, submitted_micros)
                        WHERE idempotency_key IS NOT NULL""",
                    "CREATE INDEX async_call_unfinished ON async_call (state) WHERE state IN ('queued', 'running')",
                    "CREATE INDEX async_call_finished ON async_call (finished_micros) WHERE finished_micros IS NOT NULL"),
            // Invocation records a batch per row instead of a record per row ({@link InvocationBatches}): the
            // existing ones move over in groups of up to 256 per function, in the order they were written.
            List.of("""
                    CREATE TABLE invocation_batch (
                        id             INTEGER PRIMARY KEY,
                        function       TEXT    NOT NULL,
                        first_micros   INTEGER NOT NULL,
                        last_micros    INTEGER NOT NULL,
                        records        INTEGER NOT NULL,
                        lines          TEXT    NOT NULL
                    )""", """
                    INSERT INTO invocation_batch (function, first_micros, last_micros, records, lines)
                        SELECT function, MIN(start_micros), MAX(start_micros), COUNT(*),
                               group_concat(start_micros || ' ' || duration_micros || ' ' || cold_start || ' '
                                            || status || ' ' || replace(backend, ' ', '_') || ' '
                                            || replace(instance_id, char(10), ' '), char(10) ORDER BY id)
                        FROM invocation GROUP BY function, id / 256 ORDER BY MIN(id)""",
                    "DROP TABLE invocation",
                    "CREATE INDEX invocation_batch_by_function ON invocation_batch (function, last_micros)"));

    static final int CURRENT = MIGRATIONS.size();

    private Schema() {
    }

    static void migrate(Connection connection, Path file) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
            int version;
            try (ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
                version = rs.next() ? rs.getInt(1) : 0;
            }
            if (version > CURRENT) {
                throw new StoreException("Failed to open store " + file + ": schema version " + version
                        + " is newer than this Isola understands (" + CURRENT + ")");
            }
            for (int next = version + 1; next <= CURRENT; next++) {
                connection.setAutoCommit(false);
                try {
                    for (String sql : MIGRATIONS.get(next - 1)) {
                        st.execute(sql);
                    }
                    st.execute("INSERT INTO schema_version (version) VALUES (" + next + ")");
                    connection.commit();
                } catch (SQLException | RuntimeException e) {
                    connection.rollback();
                    throw e;
                } finally {
                    connection.setAutoCommit(true);
                }
            }
        }
    }
}
