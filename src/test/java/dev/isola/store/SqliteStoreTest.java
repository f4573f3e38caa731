package dev.isola.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.function.FunctionName;
import dev.isola.function.FunctionVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SqliteStoreTest {
    private static final FunctionName HELLO = FunctionName.of("hello");
    private static final FunctionName WORLD = FunctionName.of("world");
    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00.123456789Z");

    @TempDir
    Path tmp;
    private Path dbFile;
    private Store store;

    @BeforeEach
    void open() {
        dbFile = tmp.resolve("state/deep/isola.db");
        store = Store.open(dbFile);
    }

    @AfterEach
    void close() {
        store.close();
    }

    static FunctionVersion row(FunctionName name, int version) {
        return new FunctionVersion(name, version, "go", "name: " + name + "\nruntime: go\n", "ab".repeat(32),
                Path.of("/state/functions/" + name + "/v" + version), List.of("./fn"), T0.plusSeconds(version));
    }

    static InvocationRecord invocation(FunctionName name, int i) {
        return new InvocationRecord(name, T0.truncatedTo(ChronoUnit.MICROS).plusMillis(i), 1000L + i, i % 2 == 0,
                200, "process", "inst-" + i);
    }

    @Test
    void open_missingParentDirectories_createsFileInWalMode() throws Exception {
        assertThat(dbFile).exists();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("wal");
        }
    }

    @Test
    void open_newerSchemaVersion_isRefused() throws Exception {
        store.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile); Statement st = c.createStatement()) {
            st.execute("INSERT INTO schema_version (version) VALUES (99)");
        }

        assertThatThrownBy(() -> Store.open(dbFile))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("Failed to open store")
                .hasMessageContaining("schema version 99 is newer");
        store = Store.open(tmp.resolve("other.db"));
    }

    @Test
    void open_pathIsADirectory_failsWithStoreException() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("a-directory"));

        assertThatThrownBy(() -> Store.open(dir)).isInstanceOf(StoreException.class).hasMessageContaining(dir.toString());
    }

    @Test
    void nextVersion_unknownFunction_isOne() {
        assertThat(store.nextVersion(HELLO)).isEqualTo(1);
        assertThat(store.latest(HELLO)).isEmpty();
        assertThat(store.versions(HELLO)).isEmpty();
    }

    @Test
    void insertVersion_rowsComeBackEqual() {
        store.insertVersion(row(HELLO, 1));
        store.insertVersion(row(HELLO, 2));

        assertThat(store.latest(HELLO)).contains(row(HELLO, 2));
        assertThat(store.versions(HELLO)).containsExactly(row(HELLO, 1), row(HELLO, 2));
        assertThat(store.nextVersion(HELLO)).isEqualTo(3);
    }

    @Test
    void insertVersion_duplicate_failsWithStoreException() {
        store.insertVersion(row(HELLO, 1));

        assertThatThrownBy(() -> store.insertVersion(row(HELLO, 1)))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("Failed to insert version hello v1: ");
        assertThat(store.versions(HELLO)).hasSize(1);
    }

    @Test
    void activeOfEach_returnsTheActivatedVersionPerFunctionSortedByName() {
        store.insertVersion(row(WORLD, 1));
        store.insertVersion(row(HELLO, 1));
        store.insertVersion(row(HELLO, 2));
        store.insertVersion(row(WORLD, 2));
        store.insertVersion(row(WORLD, 3));
        assertThat(store.activeOfEach()).as("nothing activated yet").isEmpty();

        store.activate(HELLO, 2);
        store.activate(WORLD, 3);
        store.activate(WORLD, 1);

        assertThat(store.activeOfEach()).containsExactly(row(HELLO, 2), row(WORLD, 1));
        assertThat(store.active(WORLD)).contains(row(WORLD, 1));
        assertThat(store.previous(WORLD)).contains(row(WORLD, 3));
        assertThat(store.previous(HELLO)).isEmpty();
    }

    @Test
    void activate_aVersionNotStored_changesNothing() {
        store.insertVersion(row(HELLO, 1));
        store.activate(HELLO, 1);

        assertThat(store.activate(HELLO, 7)).isFalse();
        assertThat(store.activate(HELLO, 1)).as("activating the active version again").isTrue();

        assertThat(store.active(HELLO)).contains(row(HELLO, 1));
        assertThat(store.previous(HELLO)).as("re-activating keeps the previous one").isEmpty();
    }

    @Test
    void split_recordsTheWeights_untilAnActivationEndsIt() {
        for (int v = 1; v <= 3; v++) {
            store.insertVersion(row(HELLO, v));
        }
        store.activate(HELLO, 1);

        assertThat(store.split(HELLO, 2, Map.of(2, 90, 3, 10))).isTrue();
        assertThat(store.traffic(HELLO)).containsExactly(Map.entry(2, 90), Map.entry(3, 10));
        assertThat(store.active(HELLO)).contains(row(HELLO, 2));
        assertThat(store.split(HELLO, 2, Map.of(2, 50, 9, 50))).as("version 9 is not stored").isFalse();
        assertThat(store.traffic(HELLO)).containsExactly(Map.entry(2, 90), Map.entry(3, 10));
        assertThat(store.pruneVersions(HELLO, 1)).as("all three are pinned: active, previous, split").isZero();

        store.activate(HELLO, 3);

        assertThat(store.traffic(HELLO)).isEmpty();
        assertThat(store.active(HELLO)).contains(row(HELLO, 3));
    }

    @Test
    void pruneVersions_keepsTheActiveAndThePreviousVersion() {
        for (int v = 1; v <= 6; v++) {
            store.insertVersion(row(HELLO, v));
        }
        store.activate(HELLO, 2);
        store.activate(HELLO, 1);

        assertThat(store.pruneVersions(HELLO, 2)).isEqualTo(2);

        assertThat(store.versions(HELLO)).extracting(FunctionVersion::version).containsExactly(1, 2, 5, 6);
    }

    @Test
    void deleteFunction_removesVersionsAndInvocations() {
        store.insertVersion(row(HELLO, 1));
        store.insertVersion(row(WORLD, 1));
        store.activate(HELLO, 1);
        store.activate(WORLD, 1);
        store.record(invocation(HELLO, 1));
        store.flush();

        assertThat(store.deleteFunction(HELLO)).isTrue();
        assertThat(store.deleteFunction(HELLO)).isFalse();
        assertThat(store.latest(HELLO)).isEmpty();
        assertThat(store.active(HELLO)).isEmpty();
        assertThat(store.activeOfEach()).containsExactly(row(WORLD, 1));
        assertThat(store.invocationCount(HELLO)).isZero();
    }

    @Test
    void nextVersion_afterDeleteAndRedeploy_neverReusesANumber() {
        store.insertVersion(row(HELLO, 1));
        store.insertVersion(row(HELLO, 2));
        store.deleteFunction(HELLO);

        int redeployed = store.nextVersion(HELLO);
        store.insertVersion(row(HELLO, redeployed));

        assertThat(redeployed).isEqualTo(3);
        assertThat(store.versions(HELLO)).containsExactly(row(HELLO, 3));
        assertThat(store.nextVersion(HELLO)).isEqualTo(4);
    }

    @Test
    void reopen_versionsInvocationsAndSequenceSurvive() {
        store.insertVersion(row(HELLO, 1));
        store.insertVersion(row(WORLD, 5));
        store.deleteFunction(WORLD);
        store.record(invocation(HELLO, 7));
        store.close();

        store = Store.open(dbFile);

        assertThat(store.latest(HELLO)).contains(row(HELLO, 1));
        assertThat(store.nextVersion(WORLD)).isEqualTo(6);
        assertThat(store.recentInvocations(HELLO, 10)).containsExactly(invocation(HELLO, 7));
    }

    @Test
    void record_fromManyThreads_allWrittenAfterFlush() throws Exception {
        int threads = 8;
        int perThread = 2_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            FunctionName name = t % 2 == 0 ? HELLO : WORLD;
            workers.add(Thread.ofVirtual().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    store.record(invocation(name, i));
                }
            }));
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }

        store.flush();

        assertThat(store.droppedInvocations()).isZero();
        assertThat(store.invocationCount(HELLO)).isEqualTo(threads / 2 * perThread);
        assertThat(store.invocationCount(WORLD)).isEqualTo(threads / 2 * perThread);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 50})
    void recentInvocations_newestFirstUpToLimit(int limit) {
        for (int i = 0; i < 10; i++) {
            store.record(invocation(HELLO, i));
        }
        store.record(invocation(WORLD, 99));
        store.flush();

        List<InvocationRecord> recent = store.recentInvocations(HELLO, limit);

        List<InvocationRecord> expected = new ArrayList<>();
        for (int i = 9; i >= 0 && expected.size() < limit; i--) {
            expected.add(invocation(HELLO, i));
        }
        assertThat(recent).containsExactlyElementsOf(expected);
    }

    @Test
    void close_writesRecordsStillQueued() {
        for (int i = 0; i < 1_000; i++) {
            store.record(invocation(HELLO, i));
        }
        store.close();
        store.close();

        store = Store.open(dbFile);

        assertThat(store.invocationCount(HELLO)).isEqualTo(1_000);
    }

    @Test
    void closedStore_dropsRecordsAndRefusesQueries() {
        store.close();

        store.record(invocation(HELLO, 1));
        store.flush();

        assertThat(store.droppedInvocations()).isEqualTo(1);
        assertThatThrownBy(() -> store.latest(HELLO))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("Failed to read latest version of hello")
                .hasMessageContaining("is closed");
    }
}
