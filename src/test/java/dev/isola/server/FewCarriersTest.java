package dev.isola.server;

import dev.isola.testing.Await;
import dev.isola.testing.Leaks;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * More live instances than the JVM has virtual-thread carriers (this class runs in its own JVM with the maximum
 * lowered to {@value #CARRIERS}, see the pom): nothing of Isola may hold a carrier per instance, so the edge, the
 * admin API, calls to another function and the graceful stop all keep working. With a blocking reader per instance
 * this stalled at the carrier maximum (256 by default) live instances.
 */
class FewCarriersTest {
    private static final int CARRIERS = 8;
    private static final int LIVE_INSTANCES = 3 * CARRIERS;
    private static final Duration PROMPTLY = Duration.ofSeconds(10);

    @Test
    void moreLiveInstancesThanCarriers_platformKeepsServing_andStopsCleanly() throws Exception {
        assumeTrue(Integer.toString(CARRIERS).equals(System.getProperty("jdk.virtualThreadScheduler.maxPoolSize")),
                "runs in the pom's few-carriers execution, whose JVM has " + CARRIERS + " carriers at most");
        TestIsola isola = TestIsola.withProbe();
        try {
            HttpResponse<String> deployed = isola.deploy("held", TestIsola.FUNCTIONS.resolve("probe"),
                    "name: held\nruntime: go\nscaling: {concurrency: 1, maxInstances: " + LIVE_INSTANCES + "}\n");
            assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
            List<CompletableFuture<HttpResponse<String>>> held = IntStream.range(0, LIVE_INSTANCES)
                    .mapToObj(i -> isola.http().sendAsync(HttpRequest.newBuilder(isola.uri(
                            "/function/held/sleep?ms=6000")).timeout(Duration.ofSeconds(120)).build(),
                            HttpResponse.BodyHandlers.ofString()))
                    .toList();
            Await.until(Duration.ofSeconds(60), () -> isola.server().dispatcher().instances().stream()
                    .filter(i -> i.inFlight() > 0).count() == LIVE_INSTANCES, "every held call on its own instance");

            assertThat(reaperThreads()).as("JDK reaper threads with %d live instances: none per instance",
                    LIVE_INSTANCES).isLessThan(LIVE_INSTANCES / 2);

            assertThat(answer(isola, HttpRequest.newBuilder(isola.uri("/healthz"))).statusCode()).isEqualTo(200);
            HttpResponse<String> listing = answer(isola, HttpRequest.newBuilder(isola.uri("/system/instances"))
                    .header("Authorization", "Bearer " + isola.server().adminToken()));
            assertThat(listing.statusCode()).isEqualTo(200);
            assertThat(TestIsola.json(listing).size()).isGreaterThanOrEqualTo(LIVE_INSTANCES);
            HttpResponse<String> other = answer(isola, HttpRequest.newBuilder(isola.uri("/function/probe/echo")));
            assertThat(other.statusCode()).as(other.body()).isEqualTo(201);

            Thread stopping = Thread.ofPlatform().start(isola.server()::close);
            stopping.join(Duration.ofSeconds(60));
            assertThat(stopping.isAlive()).as("the stop to finish").isFalse();
            for (CompletableFuture<HttpResponse<String>> call : held) {
                assertThat(call.get().statusCode()).as(call.get().body()).isEqualTo(200);
            }
        } finally {
            isola.close();
        }
        Leaks.assertNoChildProcesses();
    }

    /**
     * The JDK's reaper threads: one waits for each child the JDK started for the child's whole life (and idles a
     * minute after it). The build tools a deploy runs leave a few idle ones.
     */
    private static long reaperThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("process reaper"))
                .count();
    }

    private static HttpResponse<String> answer(TestIsola isola, HttpRequest.Builder request) throws Exception {
        return isola.http().sendAsync(request.timeout(PROMPTLY).build(), HttpResponse.BodyHandlers.ofString())
                .get();
    }
}
