package dev.isola.async;

import dev.isola.config.AsyncConfig;
import dev.isola.testing.Await;
import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code asyncQueueLimit} and {@code asyncQueueBytes}: a full queue refuses new calls with 429 (a repeat of an
 * accepted call gets its id all the same), and takes them again once it has room.
 */
class AsyncQueueLimitTest {
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("process")
            .withConfig(c -> c.withAsync(new AsyncConfig(2, Duration.ofMillis(50), List.of(), 1 << 20,
                    Duration.ofDays(1), 1 << 20, 64 << 20, 1 << 20, 1 << 30)));

    /** The tests share the server's small queue: each leaves it empty for the next. */
    @AfterEach
    void awaitAnEmptyQueue() {
        TestIsola isola = SERVER.isola();
        Await.until(Duration.ofSeconds(60), () -> Stream.of("lim", "lim-bytes").allMatch(fn -> Stream.of("queued",
                "running").allMatch(state -> {
                    HttpResponse<String> calls = isola.admin(HttpRequest.newBuilder(isola.uri(
                            "/system/functions/" + fn + "/calls?state=" + state)));
                    return calls.statusCode() == 404 || TestIsola.json(calls).isEmpty();
                })), "the queue to empty");
    }

    @Test
    void fullQueue_refusesWith429_untilCallsFinish() {
        TestIsola isola = SERVER.isola();
        HttpResponse<String> deployed = isola.deploy("lim", TestIsola.FUNCTIONS.resolve("probe"),
                "name: lim\nruntime: go\nasync: {concurrency: 1}\n");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        HttpResponse<String> keyed = submit(isola, "first");
        assertThat(keyed.statusCode()).isEqualTo(202);
        assertThat(submit(isola).statusCode()).isEqualTo(202);
        HttpResponse<String> full = submit(isola);
        assertThat(full.statusCode()).isEqualTo(429);
        assertThat(full.body()).contains("saturated", "asyncQueueLimit");
        HttpResponse<String> repeated = submit(isola, "first");
        assertThat(repeated.statusCode()).as("a repeat names the call accepted before").isEqualTo(202);
        assertThat(repeated.headers().firstValue("X-Call-Id")).isEqualTo(keyed.headers().firstValue("X-Call-Id"));
        assertThat(submit(isola, "another").statusCode()).as("a new key is a new call").isEqualTo(429);
        Await.until(Duration.ofSeconds(60), () -> submit(isola).statusCode() == 202, "room in the queue again");
    }

    @Test
    void queueHoldingAsManyBodyBytesAsAllowed_refusesWith429_untilCallsFinish() {
        TestIsola isola = SERVER.isola();
        HttpResponse<String> deployed = isola.deploy("lim-bytes", TestIsola.FUNCTIONS.resolve("probe"),
                "name: lim-bytes\nruntime: go\nasync: {concurrency: 1}\n");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        byte[] body = new byte[700 * 1024];
        Await.until(Duration.ofSeconds(60), () -> submitBody(isola, body).statusCode() == 202,
                "a first call of 700 KiB accepted");
        HttpResponse<String> full = submitBody(isola, body);
        assertThat(full.statusCode()).as("the two together pass 1 MiB").isEqualTo(429);
        assertThat(full.body()).contains("saturated", "1 MiB of request bodies", "asyncQueueBytes");
        Await.until(Duration.ofSeconds(60), () -> submitBody(isola, body).statusCode() == 202,
                "room again once the first ended (its body dropped)");
    }

    private static HttpResponse<String> submitBody(TestIsola isola, byte[] body) {
        return isola.send(HttpRequest.newBuilder(isola.publicUri("/async-function/lim-bytes/sleep?ms=1000"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private static HttpResponse<String> submit(TestIsola isola) {
        return isola.send(HttpRequest.newBuilder(isola.publicUri("/async-function/lim/sleep?ms=500"))
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    private static HttpResponse<String> submit(TestIsola isola, String idempotencyKey) {
        return isola.send(HttpRequest.newBuilder(isola.publicUri("/async-function/lim/sleep?ms=500"))
                .header("Idempotency-Key", idempotencyKey).POST(HttpRequest.BodyPublishers.noBody()));
    }
}
