package dev.isola.async;

import com.sun.net.httpserver.HttpServer;
import dev.isola.config.AsyncConfig;
import dev.isola.function.AsyncPolicy;
import dev.isola.function.FunctionName;
import dev.isola.metrics.Metrics;
import dev.isola.store.Store;
import dev.isola.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** A database that fails for a moment (busy past its timeout, a full disk) loses no call and runs none twice. */
class AsyncStoreFaultTest {
    private static final FunctionName FN = FunctionName.of("fn");

    @TempDir
    Path dir;

    @Test
    void aStoreFailingToStartAndToFinishAnAttempt_isTriedAgain_andTheCallRunsOnce() throws Exception {
        AtomicInteger served = new AtomicInteger();
        HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        gateway.createContext("/", exchange -> {
            served.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        gateway.start();
        try (Store store = Store.open(dir.resolve("isola.db"))) {
            Flaky flaky = new Flaky(store.calls());
            AsyncCalls.Parts parts = new AsyncCalls.Parts(flaky, AsyncConfig.defaults(),
                    () -> URI.create("http://127.0.0.1:" + gateway.getAddress().getPort()),
                    () -> new InetSocketAddress("127.0.0.1", 1),
                    name -> Optional.of(new AsyncPolicy(3, Duration.ofSeconds(10), 1)), Metrics.NOOP,
                    InstantSource.system(), Duration.ofSeconds(5));
            try (AsyncCalls calls = AsyncCalls.create(parts)) {
                calls.run();
                Submission submitted = calls.submit(FN, new CallRequest("POST", "/", List.of(), new byte[] {1}),
                        Optional.empty(), Optional.empty()).get();
                CallId id = ((Submission.Accepted) submitted).id();

                Await.until(Duration.ofSeconds(30), () -> calls.find(id).map(AsyncCall::state),
                        state -> state.equals(Optional.of(CallState.SUCCEEDED)), "the call to succeed");
                assertThat(flaky.failedStarts.get()).as("its first start failed").isEqualTo(1);
                assertThat(flaky.failedFinishes.get()).as("its first finish failed").isEqualTo(1);
                assertThat(served.get()).as("the attempt ran once").isEqualTo(1);
                assertThat(calls.find(id).orElseThrow().attempts()).isEqualTo(1);
            }
        } finally {
            gateway.stop(0);
        }
    }

    /** The store, whose first start and first finish fail as a busy or full database would. */
    private static final class Flaky implements CallStore {
        private final CallStore store;
        final AtomicInteger failedStarts = new AtomicInteger();
        final AtomicInteger failedFinishes = new AtomicInteger();

        Flaky(CallStore store) {
            this.store = store;
        }

        @Override
        public Optional<Attempt> start(CallId id, Instant now) {
            if (failedStarts.getAndIncrement() == 0) {
                throw new IllegalStateException("database is locked");
            }
            failedStarts.decrementAndGet();
            return store.start(id, now);
        }

        @Override
        public void finish(CallId id, CallState state, Instant at, Optional<CallResult> result,
                           Optional<String> error) {
            if (failedFinishes.getAndIncrement() == 0) {
                throw new IllegalStateException("database or disk is full");
            }
            failedFinishes.decrementAndGet();
            store.finish(id, state, at, result, error);
        }

        @Override
        public Optional<CallId> findByKey(FunctionName function, String key, Instant since) {
            return store.findByKey(function, key, since);
        }

        @Override
        public List<CallId> insert(List<NewCall> calls, Instant keysSince) {
            return store.insert(calls, keysSince);
        }

        @Override
        public void retry(CallId id, Instant next, Optional<CallResult> result, Optional<String> error) {
            store.retry(id, next, result, error);
        }

        @Override
        public void requeue(CallId id, Instant next) {
            store.requeue(id, next);
        }

        @Override
        public void callbackOutcome(CallId id, String outcome) {
            store.callbackOutcome(id, outcome);
        }

        @Override
        public Optional<AsyncCall> find(CallId id) {
            return store.find(id);
        }

        @Override
        public List<AsyncCall> list(FunctionName function, Optional<CallState> state, int limit) {
            return store.list(function, state, limit);
        }

        @Override
        public List<Pending> recover() {
            return store.recover();
        }

        @Override
        public Optional<Cancel> cancel(CallId id) {
            return store.cancel(id);
        }

        @Override
        public List<Ended> failQueued(FunctionName function, String error, Instant at) {
            return store.failQueued(function, error, at);
        }

        @Override
        public int pruneFinished(Instant before, long keep, long keepBytes) {
            return store.pruneFinished(before, keep, keepBytes);
        }

        @Override
        public long unfinished() {
            return store.unfinished();
        }

        @Override
        public long unfinishedBodyBytes() {
            return store.unfinishedBodyBytes();
        }

        @Override
        public List<CallId> undeliveredCallbacks() {
            return store.undeliveredCallbacks();
        }
    }
}
