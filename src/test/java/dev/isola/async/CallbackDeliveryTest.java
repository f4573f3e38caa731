package dev.isola.async;

import com.sun.net.httpserver.HttpServer;
import dev.isola.function.FunctionName;
import dev.isola.store.Store;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Result delivery against a real receiver on loopback: a slow target cannot hold a delivery, a removed host gets none. */
class CallbackDeliveryTest {
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private static final InetSocketAddress ADMIN = new InetSocketAddress("127.0.0.1", 1);

    @TempDir
    Path dir;

    private final CountDownLatch released = new CountDownLatch(1);
    private HttpServer receiver;
    private HttpClient client;
    private Store store;

    @BeforeEach
    void start() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        receiver.createContext("/trickle", exchange -> {
            exchange.sendResponseHeaders(200, 0); // a 200 head, then a body that never ends
            try (OutputStream body = exchange.getResponseBody()) {
                body.write('x');
                body.flush();
                released.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        receiver.start();
        client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        store = Store.open(dir.resolve("isola.db"));
    }

    @AfterEach
    void stop() {
        released.countDown();
        receiver.stop(0);
        client.close();
        store.close();
    }

    @Test
    void targetThatTricklesItsAnswer_endsEachAttemptAtTheTimeout() throws InterruptedException {
        CallId id = finishedCall(url("/trickle"));
        CallbackDelivery delivery = new CallbackDelivery(client, targets("127.0.0.1"), store.calls(),
                Duration.ofMillis(10), Duration.ofMillis(300));

        long begin = System.nanoTime();
        delivery.deliver(id);

        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(10));
        assertThat(store.calls().find(id).orElseThrow().callbackOutcome())
                .hasValue("failed after 3 attempts: no whole answer within 300 ms");
    }

    @Test
    void hostTakenOffTheAllowList_sinceTheCallCame_getsNoResult() throws InterruptedException {
        CallId id = finishedCall(url("/trickle"));
        new CallbackDelivery(client, targets("192.0.2.1"), store.calls(), Duration.ofMillis(10),
                Duration.ofMillis(300)).deliver(id);

        assertThat(store.calls().find(id).orElseThrow().callbackOutcome()).get().asString()
                .startsWith("refused: ").contains("is not in asyncCallbackHosts");
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + path);
    }

    private static CallbackTargets targets(String allowed) {
        return new CallbackTargets(List.of(allowed), () -> ADMIN);
    }

    private CallId finishedCall(URI callback) {
        CallStore calls = store.calls();
        NewCall call = new NewCall(CallId.random(), FunctionName.of("fn"),
                new CallRequest("POST", "/", List.of(), new byte[0]), Optional.of(callback), Optional.empty(), T0);
        calls.insert(List.of(call), T0);
        calls.start(call.id(), T0).orElseThrow();
        calls.finish(call.id(), CallState.SUCCEEDED, T0, Optional.of(new CallResult(200, List.of(),
                "ok".getBytes(), false)), Optional.empty());
        return call.id();
    }
}
