package dev.isola.store;

import dev.isola.function.FunctionName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static dev.isola.store.SqliteStoreTest.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the store keeps: invocation records by age and count and with their function, the newest versions. */
class RetentionTest {
    private static final FunctionName HELLO = FunctionName.of("hello");
    private static final FunctionName WORLD = FunctionName.of("world");
    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

    @TempDir
    Path tmp;

    @Test
    void invocationsOlderThanTheMaxAge_go_newerStay() {
        AtomicReference<Instant> now = new AtomicReference<>(NOW);
        try (Store store = Store.open(tmp.resolve("isola.db"), new InvocationRetention(Duration.ofDays(7), 1000),
                now::get)) {
            store.record(at(HELLO, NOW.minus(Duration.ofDays(8)), "old"));
            store.record(at(HELLO, NOW.minus(Duration.ofDays(6)), "recent"));
            store.flush();
            assertThat(store.invocationCount(HELLO)).isEqualTo(2);

            now.set(NOW.plus(SqliteStore.PRUNE_EVERY)); // the next batch prunes first
            store.record(at(HELLO, NOW, "new"));
            store.flush();

            assertThat(store.recentInvocations(HELLO, 10)).extracting(InvocationRecord::instanceId)
                    .containsExactly("new", "recent");
        }
    }

    @Test
    void invocationsBeyondTheMaxRows_goOldestFirst() {
        try (SqliteStore store = (SqliteStore) Store.open(tmp.resolve("isola.db"),
                new InvocationRetention(Duration.ofDays(7), 5), InstantSource.fixed(NOW))) {
            IntStream.range(0, 12).forEach(i -> store.record(at(HELLO, NOW.plusMillis(i), "i" + i)));
            store.flush();

            assertThat(store.pruneInvocations()).isEqualTo(7);
            assertThat(store.recentInvocations(HELLO, 100)).extracting(InvocationRecord::instanceId)
                    .containsExactly("i11", "i10", "i9", "i8", "i7");
        }
    }

    @Test
    void deletingAFunction_deletesItsInvocationsOnly() {
        try (Store store = Store.open(tmp.resolve("isola.db"))) {
            store.insertVersion(row(HELLO, 1));
            store.insertVersion(row(WORLD, 1));
            store.record(at(HELLO, NOW, "h"));
            store.record(at(WORLD, NOW, "w"));
            store.flush();

            assertThat(store.deleteFunction(HELLO)).isTrue();

            assertThat(store.invocationCount(HELLO)).isZero();
            assertThat(store.invocationCount(WORLD)).isEqualTo(1);
        }
    }

    @Test
    void pruneVersions_keepsTheNewest() {
        try (Store store = Store.open(tmp.resolve("isola.db"))) {
            IntStream.rangeClosed(1, 7).forEach(v -> store.insertVersion(row(HELLO, v)));
            store.insertVersion(row(WORLD, 1));

            assertThat(store.pruneVersions(HELLO, 5)).isEqualTo(2);

            assertThat(store.versions(HELLO)).extracting(v -> v.version()).containsExactly(3, 4, 5, 6, 7);
            assertThat(store.versions(WORLD)).hasSize(1);
            assertThat(store.pruneVersions(HELLO, 5)).isZero();
            assertThat(store.nextVersion(HELLO)).isEqualTo(8);
        }
    }

    @Test
    void aRetentionWithoutRoom_isRefused() {
        assertThatThrownBy(() -> new InvocationRetention(Duration.ZERO, 10)).hasMessageContaining("positive");
        assertThatThrownBy(() -> new InvocationRetention(Duration.ofDays(1), 0)).hasMessageContaining("positive");
    }

    private static InvocationRecord at(FunctionName name, Instant start, String instance) {
        return new InvocationRecord(name, start.truncatedTo(ChronoUnit.MICROS), 1000, false, 200, "process", instance);
    }
}
