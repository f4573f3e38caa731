package dev.isola.sandbox;

import dev.isola.sandbox.spi.Availability;
import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Starts aborted half-way — the function removed, or the server stopped, while a burst of runc containers is being
 * made — leave nothing behind: each start is interrupted wherever it is (an {@code ip} batch, {@code runc create}),
 * and its clean-up still runs to its end. A server stopped in such a burst had left network namespaces and the
 * cgroups of half-made containers ({@code bench/density.sh}). {@link NoLeaks} checks the host after each test.
 */
@NoLeaks
class AbortedStartsTest {
    private static final int BURST = 12;
    private static final String MANIFEST = "name: t-aborted\nruntime: go\nscaling: {concurrency: 1, maxInstances: "
            + BURST + "}\n";

    @BeforeAll
    static void needsRunc() {
        Availability runc = TestHost.probe("runc");
        Assumptions.assumeTrue(runc.runs(), () -> "runc unavailable: " + runc.describe());
    }

    @Test
    void removingTheFunctionDuringABurstOfStarts_leavesNothing() throws Exception {
        try (TestIsola isola = TestIsola.start("runc")) {
            List<CompletableFuture<HttpResponse<Void>>> calls = burst(isola);
            HttpResponse<String> removed = isola.admin(HttpRequest.newBuilder(
                    isola.uri("/system/functions/t-aborted")).DELETE());
            assertThat(removed.statusCode()).as(removed.body()).isBetween(200, 299);
            for (CompletableFuture<HttpResponse<Void>> call : calls) {
                assertThat(call.get(60, TimeUnit.SECONDS).statusCode()).as("each call is answered").isPositive();
            }
            assertThat(isola.instances()).isEmpty();
        }
    }

    /** No drain: the stop interrupts every start at once, wherever it is. */
    @Test
    void stoppingTheServerDuringABurstOfStarts_leavesNothing() throws Exception {
        try (TestIsola isola = TestIsola.start("runc", c -> c.withDrainTimeout(Duration.ZERO))) {
            burst(isola);
        }
    }

    /** {@value #BURST} calls that each need a new instance, once at least one of those is starting. */
    private static List<CompletableFuture<HttpResponse<Void>>> burst(TestIsola isola) {
        HttpResponse<String> deployed = isola.deploy("t-aborted", TestIsola.FUNCTIONS.resolve("probe"), MANIFEST);
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        List<CompletableFuture<HttpResponse<Void>>> calls = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
            calls.add(isola.http().sendAsync(HttpRequest.newBuilder(isola.publicUri("/function/t-aborted/sleep?ms=3000"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.discarding()));
        }
        Await.until(Duration.ofSeconds(30), () -> isola.instances().stream()
                .anyMatch(i -> "starting".equals(i.get("state").asText())), "a start under way");
        return calls;
    }
}
