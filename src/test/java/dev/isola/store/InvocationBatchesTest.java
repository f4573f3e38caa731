package dev.isola.store;

import dev.isola.function.FunctionName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Invocation records kept a batch per row: reads in start order across batches, the move from a row per record. */
class InvocationBatchesTest {
    private static final FunctionName HELLO = FunctionName.of("hello");
    private static final FunctionName WORLD = FunctionName.of("world");
    private static final Instant T0 = Instant.parse("2026-12-06T12:00:00Z");

    @TempDir
    Path tmp;

    @Test
    void recent_ordersByStartAcrossBatches_andEqualStartsByWhenWritten() {
        try (Store store = Store.open(tmp.resolve("isola.db"))) {
            store.record(at(HELLO, 5, "late-start"));
            store.flush();
            store.record(at(HELLO, 1, "long-call")); // written later, started earlier: a later batch, an older start
            store.record(at(HELLO, 3, "first-of-two"));
            store.flush();
            store.record(at(HELLO, 3, "second-of-two"));
            store.flush();

            assertThat(store.recentInvocations(HELLO, 10)).extracting(InvocationRecord::instanceId)
                    .containsExactly("late-start", "second-of-two", "first-of-two", "long-call");
            assertThat(store.recentInvocations(HELLO, 2)).extracting(InvocationRecord::instanceId)
                    .containsExactly("late-start", "second-of-two");
            assertThat(store.invocationCount(HELLO)).isEqualTo(4);
        }
    }

    @Test
    void aBatchOfSeveralFunctions_isARowForEach() throws Exception {
        Path db = tmp.resolve("isola.db");
        try (Store store = Store.open(db)) {
            store.record(at(HELLO, 1, "h1"));
            store.record(at(WORLD, 2, "w1"));
            store.record(at(HELLO, 3, "h2"));
            store.flush();

            assertThat(store.recentInvocations(HELLO, 10)).extracting(InvocationRecord::instanceId)
                    .containsExactly("h2", "h1");
            assertThat(store.recentInvocations(WORLD, 10)).extracting(InvocationRecord::instanceId)
                    .containsExactly("w1");
        }
        assertThat(query(db, "SELECT COUNT(*) FROM invocation_batch")).isEqualTo(2);
    }

    @Test
    void aRecordSurvivesTheTextItIsKeptAs() {
        InvocationRecord odd = new InvocationRecord(HELLO, T0.plusNanos(123_000), 0, true, 599, "runc",
                "an id with spaces");
        assertThat(InvocationBatches.decode(HELLO, InvocationBatches.encode(List.of(odd, at(HELLO, 2, "x")))))
                .containsExactly(odd, at(HELLO, 2, "x"));
    }

    @Test
    void aBatchIsKeptDeflated_andRowsOfPlainTextByAnEarlierIsolaStillRead() throws Exception {
        Path db = tmp.resolve("isola.db");
        try (Store store = Store.open(db)) {
            for (int i = 0; i < 1000; i++) {
                store.record(at(HELLO, 10 + i, "hello.1-" + (i % 3)));
            }
            store.flush();
        }
        String text = InvocationBatches.encode(
                IntStream.range(0, 1000).mapToObj(i -> at(HELLO, 10 + i, "hello.1-" + (i % 3))).toList());
        assertThat(query(db, "SELECT COUNT(*) FROM invocation_batch WHERE typeof(lines) = 'blob'")).isEqualTo(1);
        assertThat(query(db, "SELECT length(lines) FROM invocation_batch")).isLessThan(text.length() / 5);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("INSERT INTO invocation_batch (function, first_micros, last_micros, records, lines) VALUES "
                    + "('hello', " + micros(at(HELLO, 1, "")) + ", " + micros(at(HELLO, 2, "")) + ", 2, '"
                    + InvocationBatches.encode(List.of(at(HELLO, 1, "old-1"), at(HELLO, 2, "old-2"))) + "')");
        }

        try (Store store = Store.open(db)) {
            List<InvocationRecord> all = store.recentInvocations(HELLO, 2000);
            assertThat(all).hasSize(1002);
            assertThat(all.getFirst()).isEqualTo(at(HELLO, 1009, "hello.1-0"));
            assertThat(all.subList(1000, 1002)).containsExactly(at(HELLO, 2, "old-2"), at(HELLO, 1, "old-1"));
            assertThat(store.invocationCount(HELLO)).isEqualTo(1002);
        }
    }

    @Test
    void deflatedLinesCutShort_areAStoreError_notWrongRecords() {
        byte[] whole = InvocationBatches.deflate("1 2 0 200 runc a\n3 4 0 200 runc b");
        assertThat(InvocationBatches.inflate(whole)).isEqualTo("1 2 0 200 runc a\n3 4 0 200 runc b");
        assertThatThrownBy(() -> InvocationBatches.inflate(Arrays.copyOf(whole, whole.length / 2)))
                .isInstanceOf(StoreException.class).hasMessageContaining("end early");
        assertThatThrownBy(() -> InvocationBatches.inflate(new byte[] {1, 2, 3, 4}))
                .isInstanceOf(StoreException.class).hasMessageContaining("Malformed invocation batch");
    }

    @Test
    void recordsKeptARowEach_byAnEarlierIsola_moveIntoBatches() throws Exception {
        Path db = tmp.resolve("isola.db");
        Store.open(db).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            // Back to the schema before batches, with 300 records of hello and one of world as it kept them.
            st.execute("DROP TABLE invocation_batch");
            st.execute("DELETE FROM schema_version WHERE version = (SELECT MAX(version) FROM schema_version)");
            st.execute("""
                    CREATE TABLE invocation (id INTEGER PRIMARY KEY, function TEXT NOT NULL,
                        start_micros INTEGER NOT NULL, duration_micros INTEGER NOT NULL,
                        cold_start INTEGER NOT NULL, status INTEGER NOT NULL, backend TEXT NOT NULL,
                        instance_id TEXT NOT NULL)""");
            st.execute("CREATE INDEX invocation_by_function ON invocation (function, start_micros)");
            for (int i = 0; i < 300; i++) {
                st.execute("INSERT INTO invocation (function, start_micros, duration_micros, cold_start, status,"
                        + " backend, instance_id) VALUES ('hello', " + micros(at(HELLO, i, "")) + ", " + (1000 + i)
                        + ", " + (i == 0 ? 1 : 0) + ", 200, 'runc', 'hello.i" + i + "')");
            }
            st.execute("INSERT INTO invocation (function, start_micros, duration_micros, cold_start, status, backend,"
                    + " instance_id) VALUES ('world', " + micros(at(WORLD, 7, "")) + ", 5, 0, 502, 'crun', 'w')");
        }

        try (Store store = Store.open(db)) {
            assertThat(store.invocationCount(HELLO)).isEqualTo(300);
            assertThat(store.recentInvocations(HELLO, 2)).containsExactly(
                    new InvocationRecord(HELLO, at(HELLO, 299, "").start(), 1299, false, 200, "runc", "hello.i299"),
                    new InvocationRecord(HELLO, at(HELLO, 298, "").start(), 1298, false, 200, "runc", "hello.i298"));
            assertThat(store.recentInvocations(HELLO, 300).getLast())
                    .isEqualTo(new InvocationRecord(HELLO, at(HELLO, 0, "").start(), 1000, true, 200, "runc",
                            "hello.i0"));
            assertThat(store.recentInvocations(WORLD, 5)).containsExactly(
                    new InvocationRecord(WORLD, at(WORLD, 7, "").start(), 5, false, 502, "crun", "w"));
        }
        assertThat(query(db, "SELECT COUNT(*) FROM invocation_batch")).isEqualTo(3); // hello: 256 + 44, world: 1
        assertThat(query(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'invocation'")).isZero();
    }

    private static long query(Path db, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long micros(InvocationRecord r) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, r.start());
    }

    private static InvocationRecord at(FunctionName name, int millis, String instance) {
        return new InvocationRecord(name, T0.plusMillis(millis), 1000, false, 200, "process", instance);
    }
}
