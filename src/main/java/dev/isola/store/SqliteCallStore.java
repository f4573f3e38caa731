package dev.isola.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.async.AsyncCall;
import dev.isola.async.CallId;
import dev.isola.async.CallRequest;
import dev.isola.async.CallResult;
import dev.isola.async.CallState;
import dev.isola.async.CallStore;
import dev.isola.async.Header;
import dev.isola.async.NewCall;
import dev.isola.function.FunctionName;
import java.net.URI;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link CallStore} in the {@code async_call} table, on a connection of its own: the group commit of accepted calls
 * syncs while invocation records and deploys go on on the store's other connection (SQLite serialises the writes; WAL
 * lets reads go on). Inserts are synced ({@code synchronous=FULL}): the 202 promises the call survives a power loss.
 * State changes are not: losing one to a power cut runs a call once more, which at-least-once allows.
 */
final class SqliteCallStore implements CallStore, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<List<String>>> PAIRS = new TypeReference<>() {
    };
    private static final String VIEW_COLUMNS = """
            id, function, method, target, state, attempts, submitted_micros, started_micros, finished_micros,
            next_micros, result_status, result_headers_json, result_body, result_truncated, error, callback_url,
            callback_outcome""";
    /**
     * A listing's: the results without headers and body, which it does not show; read, 10,000 results of up to 64 MiB
     * each filled the heap, under the lock the intake and the scheduler take.
     */
    private static final String LIST_COLUMNS = VIEW_COLUMNS.replace("result_headers_json, result_body",
            "NULL, NULL");
    /** The bytes a finished call's result keeps on disk. */
    private static final String RESULT_BYTES = "COALESCE(LENGTH(result_body), 0) + COALESCE(LENGTH(result_headers_json), 0)";

    private final LockedConnection db;

    /** On a connection of its own to a database whose schema is already current. */
    SqliteCallStore(LockedConnection db) {
        this.db = db;
    }

    @Override
    public List<CallId> insert(List<NewCall> calls, Instant keysSince) {
        return with("store " + calls.size() + " calls", c -> {
            List<CallId> ids = new ArrayList<>(calls.size());
            LockedConnection.durably(c, () -> {
                try (PreparedStatement byKey = c.prepareStatement("""
                        SELECT id FROM async_call WHERE function = ? AND idempotency_key = ? AND submitted_micros >= ?
                        ORDER BY submitted_micros LIMIT 1""");
                     PreparedStatement insert = c.prepareStatement("""
                             INSERT INTO async_call (id, function, method, target, headers_json, body, callback_url,
                                 idempotency_key, state, attempts, submitted_micros, next_micros)
                             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)""")) {
                    // Keys repeated within this batch count too: the map holds the batch's own.
                    Map<String, CallId> batchKeys = new HashMap<>();
                    for (NewCall call : calls) {
                        Optional<CallId> earlier = Optional.empty();
                        if (call.idempotencyKey().isPresent()) {
                            String key = call.function().value() + "\n" + call.idempotencyKey().get();
                            earlier = Optional.ofNullable(batchKeys.get(key))
                                    .or(() -> firstWithKey(byKey, call, keysSince));
                            batchKeys.putIfAbsent(key, earlier.orElse(call.id()));
                        }
                        if (earlier.isPresent()) {
                            ids.add(earlier.get());
                            continue;
                        }
                        bindNew(insert, call);
                        insert.addBatch();
                        ids.add(call.id());
                    }
                    insert.executeBatch();
                }
            });
            return List.copyOf(ids);
        });
    }

    private static void bindNew(PreparedStatement insert, NewCall call) throws SQLException {
        CallRequest r = call.request();
        insert.setString(1, call.id().value());
        insert.setString(2, call.function().value());
        insert.setString(3, r.method());
        insert.setString(4, r.target());
        insert.setString(5, headersJson(r.headers()));
        insert.setBytes(6, r.body());
        insert.setString(7, call.callback().map(URI::toString).orElse(null));
        insert.setString(8, call.idempotencyKey().orElse(null));
        insert.setLong(9, micros(call.submitted()));
        insert.setLong(10, micros(call.submitted()));
    }

    @Override
    public Optional<CallId> findByKey(FunctionName function, String key, Instant since) {
        return with("look up an idempotency key of " + function, c -> {
            try (PreparedStatement byKey = c.prepareStatement("""
                    SELECT id FROM async_call WHERE function = ? AND idempotency_key = ? AND submitted_micros >= ?
                    ORDER BY submitted_micros LIMIT 1""")) {
                byKey.setString(1, function.value());
                byKey.setString(2, key);
                byKey.setLong(3, micros(since));
                try (ResultSet rs = byKey.executeQuery()) {
                    return rs.next() ? Optional.of(new CallId(rs.getString(1))) : Optional.empty();
                }
            }
        });
    }

    private static Optional<CallId> firstWithKey(PreparedStatement byKey, NewCall call, Instant since) {
        try {
            byKey.setString(1, call.function().value());
            byKey.setString(2, call.idempotencyKey().orElseThrow());
            byKey.setLong(3, micros(since));
            try (ResultSet rs = byKey.executeQuery()) {
                return rs.next() ? Optional.of(new CallId(rs.getString(1))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("Failed to look up idempotency key of " + call.function() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Attempt> start(CallId id, Instant now) {
        return with("start call " + id, c -> {
            try (PreparedStatement st = c.prepareStatement("""
                    UPDATE async_call SET state = 'running', attempts = attempts + 1, started_micros = ?
                    WHERE id = ? AND state = 'queued'
                    RETURNING function, method, target, headers_json, body, callback_url, attempts""")) {
                st.setLong(1, micros(now));
                st.setString(2, id.value());
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    CallRequest request = new CallRequest(rs.getString(2), rs.getString(3), headers(rs.getString(4)),
                            orEmpty(rs.getBytes(5)));
                    return Optional.of(new Attempt(id, FunctionName.of(rs.getString(1)), request,
                            Optional.ofNullable(rs.getString(6)).map(URI::create), rs.getInt(7)));
                }
            }
        });
    }

    @Override
    public void retry(CallId id, Instant next, Optional<CallResult> result, Optional<String> error) {
        update("schedule call " + id + " again", """
                UPDATE async_call SET state = 'queued', next_micros = ?, result_status = ?, result_headers_json = ?,
                    result_body = ?, result_truncated = ?, error = ? WHERE id = ?""", st -> {
            st.setLong(1, micros(next));
            bindResult(st, 2, result, error);
            st.setString(7, id.value());
        });
    }

    @Override
    public void finish(CallId id, CallState state, Instant at, Optional<CallResult> result, Optional<String> error) {
        update("finish call " + id, """
                UPDATE async_call SET state = ?, finished_micros = ?, next_micros = NULL, result_status = ?,
                    result_headers_json = ?, result_body = ?, result_truncated = ?, error = ?, body = zeroblob(0),
                    headers_json = '[]' WHERE id = ?""", st -> {
            st.setString(1, state.wireName());
            st.setLong(2, micros(at));
            bindResult(st, 3, result, error);
            st.setString(8, id.value());
        });
    }

    @Override
    public void requeue(CallId id, Instant next) {
        update("queue call " + id + " again", """
                UPDATE async_call SET state = 'queued', attempts = attempts - 1, next_micros = ?
                WHERE id = ? AND state = 'running'""", st -> {
            st.setLong(1, micros(next));
            st.setString(2, id.value());
        });
    }

    @Override
    public void callbackOutcome(CallId id, String outcome) {
        update("record the callback of call " + id, "UPDATE async_call SET callback_outcome = ? WHERE id = ?", st -> {
            st.setString(1, outcome);
            st.setString(2, id.value());
        });
    }

    @Override
    public Optional<AsyncCall> find(CallId id) {
        return with("read call " + id, c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT " + VIEW_COLUMNS + " FROM async_call WHERE id = ?")) {
                st.setString(1, id.value());
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? Optional.of(view(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<AsyncCall> list(FunctionName function, Optional<CallState> state, int limit) {
        return with("list calls of " + function, c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT " + LIST_COLUMNS + """
                     FROM async_call WHERE function = ? AND (? IS NULL OR state = ?)
                    ORDER BY submitted_micros DESC, rowid DESC LIMIT ?""")) {
                st.setString(1, function.value());
                st.setString(2, state.map(CallState::wireName).orElse(null));
                st.setString(3, state.map(CallState::wireName).orElse(null));
                st.setInt(4, Math.max(0, limit));
                List<AsyncCall> calls = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        calls.add(view(rs));
                    }
                }
                return List.copyOf(calls);
            }
        });
    }

    @Override
    public List<Pending> recover() {
        return with("recover unfinished calls", c -> {
            try (Statement st = c.createStatement()) {
                st.executeUpdate("""
                        UPDATE async_call SET state = 'queued', attempts = MAX(0, attempts - 1)
                        WHERE state = 'running'""");
                List<Pending> pending = new ArrayList<>();
                try (ResultSet rs = st.executeQuery("""
                        SELECT id, function, submitted_micros, next_micros FROM async_call WHERE state = 'queued'
                        ORDER BY next_micros, rowid""")) {
                    while (rs.next()) {
                        pending.add(new Pending(new CallId(rs.getString(1)), FunctionName.of(rs.getString(2)),
                                instant(rs.getLong(3)), instant(rs.getLong(4))));
                    }
                }
                return List.copyOf(pending);
            }
        });
    }

    @Override
    public Optional<Cancel> cancel(CallId id) {
        return with("cancel call " + id, c -> {
            Optional<CallState> state;
            long bytes;
            try (PreparedStatement st = c.prepareStatement("SELECT state, LENGTH(body) FROM async_call WHERE id = ?")) {
                st.setString(1, id.value());
                try (ResultSet rs = st.executeQuery()) {
                    boolean found = rs.next();
                    state = found ? CallState.fromWire(rs.getString(1)) : Optional.empty();
                    bytes = found ? rs.getLong(2) : 0;
                }
            }
            if (state.equals(Optional.of(CallState.QUEUED))) {
                try (PreparedStatement st = c.prepareStatement(
                        "DELETE FROM async_call WHERE id = ? AND state = 'queued'")) {
                    st.setString(1, id.value());
                    st.executeUpdate();
                }
            }
            return state.map(s -> new Cancel(s, s == CallState.QUEUED ? bytes : 0));
        });
    }

    @Override
    public List<Ended> failQueued(FunctionName function, String error, Instant at) {
        return with("end the queued calls of " + function, c -> {
            // The sizes first: RETURNING gives the row as updated, its body already dropped. One connection, held.
            Map<String, Long> bytes = new HashMap<>();
            try (PreparedStatement st = c.prepareStatement(
                    "SELECT id, LENGTH(body) FROM async_call WHERE function = ? AND state = 'queued'")) {
                st.setString(1, function.value());
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        bytes.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
            try (PreparedStatement st = c.prepareStatement("""
                    UPDATE async_call SET state = 'failed', finished_micros = ?, next_micros = NULL, error = ?,
                        body = zeroblob(0), headers_json = '[]' WHERE function = ? AND state = 'queued'
                    RETURNING id, callback_url IS NOT NULL""")) {
                st.setLong(1, micros(at));
                st.setString(2, error);
                st.setString(3, function.value());
                List<Ended> ended = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        String id = rs.getString(1);
                        ended.add(new Ended(new CallId(id), rs.getBoolean(2), bytes.getOrDefault(id, 0L)));
                    }
                }
                return ended;
            }
        });
    }

    @Override
    public int pruneFinished(Instant before, long keep, long keepBytes) {
        return with("prune finished calls", c -> {
            int pruned;
            try (PreparedStatement st = c.prepareStatement("""
                    DELETE FROM async_call WHERE state IN ('succeeded', 'failed') AND finished_micros < ?""")) {
                st.setLong(1, micros(before));
                pruned = st.executeUpdate();
            }
            try (PreparedStatement st = c.prepareStatement("""
                    DELETE FROM async_call WHERE rowid IN (SELECT rowid FROM async_call
                        WHERE finished_micros IS NOT NULL ORDER BY finished_micros DESC LIMIT -1 OFFSET ?)""")) {
                st.setLong(1, keep);
                pruned += st.executeUpdate();
            }
            // length() of a blob column reads its size, not its content.
            try (PreparedStatement st = c.prepareStatement("DELETE FROM async_call WHERE rowid IN (SELECT rowid FROM "
                    + "(SELECT rowid, SUM(" + RESULT_BYTES + ") OVER (ORDER BY finished_micros DESC, rowid DESC) AS kept "
                    + "FROM async_call WHERE finished_micros IS NOT NULL) WHERE kept > ?)")) {
                st.setLong(1, keepBytes);
                return pruned + st.executeUpdate();
            }
        });
    }

    @Override
    public long unfinished() {
        return with("count unfinished calls", c -> {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery(
                         "SELECT COUNT(*) FROM async_call WHERE state IN ('queued', 'running')")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    @Override
    public long unfinishedBodyBytes() {
        return with("count the bytes of unfinished calls", c -> {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT COALESCE(SUM(LENGTH(body)), 0) FROM async_call "
                         + "WHERE state IN ('queued', 'running')")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    @Override
    public List<CallId> undeliveredCallbacks() {
        return with("read undelivered callbacks", c -> {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("""
                         SELECT id FROM async_call WHERE state IN ('succeeded', 'failed')
                         AND callback_url IS NOT NULL AND callback_outcome IS NULL ORDER BY finished_micros""")) {
                List<CallId> ids = new ArrayList<>();
                while (rs.next()) {
                    ids.add(new CallId(rs.getString(1)));
                }
                return List.copyOf(ids);
            }
        });
    }

    @Override
    public void close() {
        db.close();
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement st) throws SQLException;
    }

    private void update(String what, String sql, Binder binder) {
        with(what, c -> {
            try (PreparedStatement st = c.prepareStatement(sql)) {
                binder.bind(st);
                return st.executeUpdate();
            }
        });
    }

    /** Binds the result's five columns from {@code at}: status, headers, body, truncated, error. */
    private static void bindResult(PreparedStatement st, int at, Optional<CallResult> result, Optional<String> error)
            throws SQLException {
        if (result.isPresent()) {
            CallResult r = result.get();
            st.setInt(at, r.status());
            st.setString(at + 1, headersJson(r.headers()));
            st.setBytes(at + 2, r.body());
            st.setInt(at + 3, r.truncated() ? 1 : 0);
        } else {
            st.setNull(at, Types.INTEGER);
            st.setNull(at + 1, Types.VARCHAR);
            st.setNull(at + 2, Types.BLOB);
            st.setNull(at + 3, Types.INTEGER);
        }
        st.setString(at + 4, error.orElse(null));
    }

    private static AsyncCall view(ResultSet rs) throws SQLException {
        Optional<CallResult> result = Optional.empty();
        int status = rs.getInt(11);
        if (!rs.wasNull()) {
            result = Optional.of(new CallResult(status, headers(rs.getString(12)), orEmpty(rs.getBytes(13)),
                    rs.getInt(14) != 0));
        }
        return new AsyncCall(new CallId(rs.getString(1)), FunctionName.of(rs.getString(2)), rs.getString(3),
                rs.getString(4), state(rs), rs.getInt(6), instant(rs.getLong(7)),
                optionalInstant(rs, 8), optionalInstant(rs, 9), optionalInstant(rs, 10), result,
                Optional.ofNullable(rs.getString(15)), Optional.ofNullable(rs.getString(16)).map(URI::create),
                Optional.ofNullable(rs.getString(17)));
    }

    private static CallState state(ResultSet rs) throws SQLException {
        String state = rs.getString(5);
        return CallState.fromWire(state).orElseThrow(() -> new SQLException("corrupt state '" + state + "'"));
    }

    private static Optional<Instant> optionalInstant(ResultSet rs, int column) throws SQLException {
        long micros = rs.getLong(column);
        return rs.wasNull() ? Optional.empty() : Optional.of(instant(micros));
    }

    private static byte[] orEmpty(byte[] bytes) {
        return bytes == null ? new byte[0] : bytes;
    }

    private static long micros(Instant at) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, at);
    }

    private static Instant instant(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    private static String headersJson(List<Header> headers) {
        try {
            return JSON.writeValueAsString(headers.stream().map(h -> List.of(h.name(), h.value())).toList());
        } catch (JsonProcessingException e) {
            throw new StoreException("Failed to encode headers: " + e.getMessage(), e);
        }
    }

    private static List<Header> headers(String json) throws SQLException {
        if (json == null) {
            return List.of();
        }
        try {
            return JSON.readValue(json, PAIRS).stream().map(p -> new Header(p.get(0), p.get(1))).toList();
        } catch (JsonProcessingException e) {
            throw new SQLException("corrupt headers_json: " + e.getOriginalMessage(), e);
        }
    }

    private <T> T with(String what, LockedConnection.SqlWork<T> work) {
        return db.with(what, work);
    }
}
