package dev.isola.store;

import dev.isola.async.CallId;
import dev.isola.async.CallRequest;
import dev.isola.async.CallResult;
import dev.isola.async.CallState;
import dev.isola.async.CallStore;
import dev.isola.async.Header;
import dev.isola.async.NewCall;
import dev.isola.function.FunctionName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The asynchronous calls' table: idempotency keys, the states a call goes through, recovery after a crash. */
class SqliteCallStoreTest {
    private static final FunctionName FN = FunctionName.of("fn");
    private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");

    @TempDir
    Path dir;

    private static NewCall call(String key, Instant at) {
        return new NewCall(CallId.random(), FN, new CallRequest("POST", "/x?y=1", List.of(new Header("X-A", "1")),
                new byte[] {1, 2, 3}), Optional.of(URI.create("http://cb.example/r")), Optional.ofNullable(key), at);
    }

    @Test
    void idempotencyKey_namesTheFirstCall_inTheSameBatch_andLater_withinTheWindow() {
        try (Store store = Store.open(dir.resolve("isola.db"))) {
            CallStore calls = store.calls();
            NewCall first = call("k", T0);
            NewCall sameBatch = call("k", T0);
            NewCall noKey = call(null, T0);
            assertThat(calls.insert(List.of(first, sameBatch, noKey), T0.minusSeconds(60)))
                    .containsExactly(first.id(), first.id(), noKey.id());
            NewCall later = call("k", T0.plusSeconds(30));
            assertThat(calls.insert(List.of(later), T0.minusSeconds(60))).containsExactly(first.id());
            NewCall afterWindow = call("k", T0.plusSeconds(120));
            assertThat(calls.insert(List.of(afterWindow), T0.plusSeconds(1))).containsExactly(afterWindow.id());
            assertThat(calls.unfinished()).isEqualTo(3);
        }
    }

    @Test
    void call_goesThroughItsStates_andKeepsWhatItWasAsked() {
        try (Store store = Store.open(dir.resolve("isola.db"))) {
            CallStore calls = store.calls();
            NewCall c = call(null, T0);
            calls.insert(List.of(c), T0);
            CallStore.Attempt attempt = calls.start(c.id(), T0.plusSeconds(1)).orElseThrow();
            assertThat(attempt.number()).isEqualTo(1);
            assertThat(attempt.request().body()).containsExactly(1, 2, 3);
            assertThat(attempt.request().headers()).containsExactly(new Header("X-A", "1"));
            assertThat(calls.start(c.id(), T0).isPresent()).as("a running call does not start twice").isFalse();

            CallResult failed = new CallResult(503, List.of(), "busy".getBytes(), false);
            calls.retry(c.id(), T0.plusSeconds(5), Optional.of(failed), Optional.empty());
            assertThat(calls.find(c.id()).orElseThrow().state()).isEqualTo(CallState.QUEUED);
            assertThat(calls.start(c.id(), T0.plusSeconds(5)).orElseThrow().number()).isEqualTo(2);
            calls.finish(c.id(), CallState.SUCCEEDED, T0.plusSeconds(6),
                    Optional.of(new CallResult(200, List.of(new Header("content-type", "text/plain")),
                            "ok".getBytes(), false)), Optional.empty());

            var done = calls.find(c.id()).orElseThrow();
            assertThat(done.state()).isEqualTo(CallState.SUCCEEDED);
            assertThat(done.attempts()).isEqualTo(2);
            assertThat(done.result().orElseThrow().status()).isEqualTo(200);
            assertThat(done.finished()).contains(T0.plusSeconds(6));
            assertThat(calls.undeliveredCallbacks()).containsExactly(c.id());
            calls.callbackOutcome(c.id(), "delivered (200)");
            assertThat(calls.undeliveredCallbacks()).isEmpty();
            assertThat(calls.cancel(c.id())).contains(new CallStore.Cancel(CallState.SUCCEEDED, 0));
            assertThat(calls.find(c.id())).as("a finished call is not cancelled").isPresent();
            assertThat(calls.pruneFinished(T0.plusSeconds(7), 100, 1L << 30)).isEqualTo(1);
            assertThat(calls.find(c.id())).isEmpty();
        }
    }

    /**
     * Results are bounded in bytes as well as in count (100,000 kept results of 1 MiB were 100 GB): the oldest whose
     * results pass the budget, counted from the newest, go; a listing reads no result body.
     */
    @Test
    void pruning_keepsTheNewestResultsWithinTheByteBudget_andAListingReadsNoBody() throws Exception {
        try (Store store = Store.open(dir.resolve("isola.db"))) {
            CallStore calls = store.calls();
            List<NewCall> made = List.of(call(null, T0), call(null, T0), call(null, T0));
            calls.insert(made, T0);
            for (int i = 0; i < 3; i++) {
                calls.start(made.get(i).id(), T0);
                calls.finish(made.get(i).id(), CallState.SUCCEEDED, T0.plusSeconds(i), Optional.of(new CallResult(200,
                        List.of(), new byte[1000], false)), Optional.empty());
            }
            assertThat(calls.list(FN, Optional.empty(), 10)).hasSize(3).allSatisfy(c ->
                    assertThat(c.result().orElseThrow().body()).as("no body in a listing").isEmpty());

            assertThat(calls.pruneFinished(T0.minusSeconds(60), 100, 2_500)).as("the oldest, past 2,500 bytes")
                    .isEqualTo(1);
            assertThat(calls.find(made.get(0).id())).isEmpty();
            assertThat(calls.find(made.get(2).id()).orElseThrow().result().orElseThrow().body()).hasSize(1000);
        }
    }

    @Test
    void aFinishedCall_keepsNoRequestBody_andPruningKeepsTheNewestFinished() throws Exception {
        Path db = dir.resolve("isola.db");
        try (Store store = Store.open(db)) {
            CallStore calls = store.calls();
            List<NewCall> made = List.of(call(null, T0), call(null, T0), call(null, T0), call(null, T0));
            calls.insert(made, T0);
            for (int i = 0; i < 3; i++) {
                calls.start(made.get(i).id(), T0);
                calls.finish(made.get(i).id(), CallState.FAILED, T0.plusSeconds(i), Optional.empty(),
                        Optional.of("no"));
            }
            assertThat(requestBytes(db)).as("only the queued call's body and headers are kept")
                    .isEqualTo(3 + "[[\"X-A\",\"1\"]]".length() + 3 * "[]".length());

            assertThat(calls.pruneFinished(T0.minusSeconds(60), 2, 1L << 30)).as("the oldest beyond 2 finished")
                    .isEqualTo(1);
            assertThat(calls.find(made.get(0).id())).isEmpty();
            assertThat(calls.find(made.get(1).id())).isPresent();
            assertThat(calls.find(made.get(3).id())).as("queued calls are never pruned").isPresent();
            assertThat(calls.failQueued(FN, "deleted", T0.plusSeconds(9)))
                    .containsExactly(new CallStore.Ended(made.get(3).id(), true, 3));
            assertThat(requestBytes(db)).isEqualTo(3 * "[]".length());
        }
    }

    /** Bytes of request bodies and headers the table holds. */
    private static long requestBytes(Path db) throws Exception {
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
             var rs = c.createStatement().executeQuery(
                     "SELECT SUM(length(body) + length(headers_json)) FROM async_call")) {
            return rs.getLong(1);
        }
    }

    @Test
    void recover_queuesRunningCallsAgain_withoutCountingTheInterruptedAttempt() {
        Path db = dir.resolve("isola.db");
        NewCall running = call(null, T0);
        NewCall queued = call(null, T0.plusSeconds(1));
        try (Store store = Store.open(db)) {
            store.calls().insert(List.of(running, queued), T0);
            store.calls().start(running.id(), T0.plusSeconds(2));
        }
        try (Store reopened = Store.open(db)) {
            List<CallStore.Pending> pending = reopened.calls().recover();
            assertThat(pending).extracting(CallStore.Pending::id).containsExactly(running.id(), queued.id());
            assertThat(reopened.calls().find(running.id()).orElseThrow().attempts()).isZero();
            assertThat(reopened.calls().cancel(queued.id())).contains(new CallStore.Cancel(CallState.QUEUED, 3));
            assertThat(reopened.calls().find(queued.id())).isEmpty();
            assertThat(reopened.calls().failQueued(FN, "deleted", T0.plus(Duration.ofMinutes(1))))
                    .extracting(CallStore.Ended::bodyBytes).containsExactly(3L);
            assertThat(reopened.calls().find(running.id()).orElseThrow().state()).isEqualTo(CallState.FAILED);
        }
    }
}
