package dev.isola.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.host.OpenFileLimit;
import dev.isola.testing.Await;
import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The behaviour every sandbox backend must show, through the real server and real functions (Go and Node.js).
 * A subclass names the backend; a backend this host cannot run is skipped with the probe's reason. The server lives
 * through the class ({@link IsolaServerExtension}); after each test nothing may be left beyond its live instances,
 * and after the class nothing at all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SandboxContractTest implements IsolaServerExtension.PerBackend {
    /** One server per subclass on its backend; after each test nothing may be left beyond its live instances. */
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.perBackend();

    protected TestIsola isola;

    @BeforeAll
    void useServer(TestIsola isola) {
        this.isola = isola;
    }

    protected String manifest(String name, String runtime, String scaling) {
        return "name: " + name + "\nruntime: " + runtime + "\n" + (runtime.equals("node") ? "entry: index.js\n" : "")
                + "env: {GREETING: hello-from-manifest}\nscaling: " + scaling + "\n" + extraManifest();
    }

    /** Lines every manifest of this suite gets (a microVM kernel choice, say). */
    protected String extraManifest() {
        return "";
    }

    protected void deployProbe(String name, String runtime, String scaling) {
        Path dir = TestIsola.FUNCTIONS.resolve(runtime.equals("node") ? "node-probe" : "probe");
        HttpResponse<String> r = isola.deploy(name, dir, manifest(name, runtime, scaling));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    protected List<JsonNode> instances(String name) {
        List<JsonNode> list = new ArrayList<>();
        TestIsola.json(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/" + name)).GET()))
                .get("instances").forEach(list::add);
        return list;
    }

    private void assertColdThenWarm(String name) {
        HttpResponse<String> first = isola.get("/function/" + name + "/env?name=GREETING");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(first.body()).isEqualTo("hello-from-manifest\n");
        assertThat(first.headers().firstValue("X-Isola-Cold-Start")).hasValue("true");
        HttpResponse<String> second = isola.get("/function/" + name + "/");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("X-Isola-Cold-Start")).hasValue("false");
        assertThat(second.headers().firstValue("X-Isola-Instance"))
                .isEqualTo(first.headers().firstValue("X-Isola-Instance"));
        assertThat(instances(name)).hasSize(1);
        assertThat(instances(name).getFirst().get("backend").asText()).isEqualTo(backend());
    }

    @Test
    void go_deployInvoke_coldStartThenWarmReuse() {
        deployProbe("c-go-warm", "go", "{maxInstances: 2}");
        assertColdThenWarm("c-go-warm");
    }

    @Test
    void node_deployInvoke_coldStartThenWarmReuse() {
        deployProbe("c-node-warm", "node", "{maxInstances: 2}");
        assertColdThenWarm("c-node-warm");
    }

    /**
     * Handler mode: Isola's generated Go main and its Node.js and Python wrappers (node, and Python with its standard
     * library and waitress, shared from the host; the wrapper in the artefact) run in this sandbox. One deploy and
     * one call each, to keep the suite's cost small.
     */
    @Test
    void handlerMode_goNodeAndPython_deployAndCall() {
        for (String runtime : List.of("go", "node", "python")) {
            String name = "c-" + runtime + "-handler";
            HttpResponse<String> deploy = isola.deployHandler(name, runtime, extraManifest());
            assertThat(deploy.statusCode()).as(deploy.body()).isEqualTo(201);

            HttpResponse<String> r = isola.send(HttpRequest.newBuilder(isola.uri("/function/" + name + "/a?b=c"))
                    .header("X-Test", runtime).POST(HttpRequest.BodyPublishers.ofString("body")));

            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode echo = TestIsola.json(r);
            assertThat(List.of(echo.get("method").asText(), echo.get("path").asText(), echo.get("query").asText(),
                    echo.get("test").asText(), echo.get("body").asText()))
                    .containsExactly("POST", "/a", "b=c", runtime, "body");
        }
    }

    @Test
    void tmpdir_isWritableByTheFunction() {
        deployProbe("c-tmp", "go", "{maxInstances: 1}");
        HttpResponse<String> r = isola.get("/function/c-tmp/tmpwrite");
        assertThat(r.body()).as("%s", r).isEqualTo("ok");
    }

    @Test
    void concurrencyLimit_secondConcurrentRequest_getsSecondInstance() {
        deployProbe("c-conc", "go", "{concurrency: 1, maxInstances: 2}");
        var a = CompletableFuture.supplyAsync(() -> isola.get("/function/c-conc/sleep?ms=1500"));
        var b = CompletableFuture.supplyAsync(() -> isola.get("/function/c-conc/sleep?ms=1500"));
        HttpResponse<String> ra = a.join();
        HttpResponse<String> rb = b.join();
        assertThat(ra.statusCode()).isEqualTo(200);
        assertThat(rb.statusCode()).isEqualTo(200);
        assertThat(ra.headers().firstValue("X-Isola-Instance")).isNotEqualTo(rb.headers().firstValue("X-Isola-Instance"));
        assertThat(instances("c-conc")).hasSize(2);
    }

    @Test
    void idleInstance_isStoppedAfterIdleTimeout() {
        deployProbe("c-idle", "go", "{idleTimeout: 1s}");
        assertThat(isola.get("/function/c-idle/").statusCode()).isEqualTo(200);
        assertThat(instances("c-idle")).hasSize(1);
        Await.until(Duration.ofSeconds(15), () -> instances("c-idle"), List::isEmpty, "c-idle to scale to zero");
    }

    @Test
    void crashedInstance_isReplacedByNextCall() {
        deployProbe("c-crash", "go", "{maxInstances: 1}");
        String first = isola.get("/function/c-crash/").headers().firstValue("X-Isola-Instance").orElseThrow();
        HttpResponse<String> crash = isola.get("/function/c-crash/crash");
        assertThat(crash.statusCode()).isEqualTo(502);
        assertThat(TestIsola.json(crash).get("error").asText()).isEqualTo("instance_failed");
        HttpResponse<String> next = isola.get("/function/c-crash/");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.headers().firstValue("X-Isola-Cold-Start")).hasValue("true");
        assertThat(next.headers().firstValue("X-Isola-Instance")).isNotEqualTo(java.util.Optional.of(first));
    }

    @Test
    void singleUse_everyCallIsColdAndNothingStaysRunning() {
        deployProbe("c-single", "go", "{singleUse: true}");
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = isola.get("/function/c-single/");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Isola-Cold-Start")).hasValue("true");
        }
        Await.until(Duration.ofSeconds(10), () -> instances("c-single"), List::isEmpty,
                "c-single's instances to stop after their one call");
    }

    @Test
    void functionWithoutCallback_isReadyByProbing() {
        HttpResponse<String> r = isola.deploy("c-nocb", TestIsola.FUNCTIONS.resolve("probe"),
                "name: c-nocb\nruntime: go\nenv: {PROBE_NO_CALLBACK: '1'}\n" + extraManifest());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        HttpResponse<String> call = isola.get("/function/c-nocb/");
        assertThat(call.statusCode()).isEqualTo(200);
        assertThat(call.headers().firstValue("X-Isola-Cold-Start")).hasValue("true");
    }

    @Test
    void functionFailingAtStart_is502_itsOutputOnlyInItsLogs() {
        HttpResponse<String> r = isola.deploy("c-fail", TestIsola.FUNCTIONS.resolve("probe"),
                "name: c-fail\nruntime: go\nenv: {PROBE_FAIL_AT_START: '1'}\n" + extraManifest());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        HttpResponse<String> call = isola.get("/function/c-fail/");
        assertThat(call.statusCode()).isEqualTo(502);
        assertThat(TestIsola.json(call).get("error").asText()).isEqualTo("start_failed");
        assertThat(TestIsola.json(call).get("message").asText()).contains("before it was ready")
                .contains("in its logs").doesNotContain("configured to fail at start");
        // The caller's request id names the failure in the function's log, beside what the instance printed.
        String requestId = TestIsola.json(call).get("requestId").asText();
        assertThat(call.headers().firstValue("X-Request-Id")).contains(requestId);
        Await.until(Duration.ofSeconds(10), () -> isola.admin(HttpRequest.newBuilder(
                        isola.uri("/system/functions/c-fail/logs?tail=20"))).body(),
                logs -> logs.contains("configured to fail at start")
                        && logs.contains(" isola request " + requestId + ": 502 start_failed: "),
                "the function's output and the failed request in its logs");
        assertThat(instances("c-fail")).isEmpty();
    }

    /**
     * The {@code oom_score_adj} of the host process that holds the function's memory: by default as the function
     * reads its own (the process, container and gVisor backends give it the host's value).
     */
    protected String hostOomScoreAdj(String function, JsonNode instance) {
        return isola.get("/function/" + function + "/oomscore").body().strip();
    }

    @Test
    void sandbox_isTheHostOomKillersChoiceBeforeIsola() {
        deployProbe("c-oomscore", "go", "{maxInstances: 1}");
        assertThat(isola.get("/function/c-oomscore/").statusCode()).isEqualTo(200);

        assertThat(hostOomScoreAdj("c-oomscore", instances("c-oomscore").getFirst())).isEqualTo("500");
    }

    @Test
    void openFileLimit_leavesRoomForTheFunctionsConcurrency() {
        deployProbe("c-nofile", "go", "{maxInstances: 1, concurrency: 6000}");
        HttpResponse<String> r = isola.get("/function/c-nofile/nofile");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

        int wanted = OpenFileLimit.forConcurrency(6000);
        assumeTrue(wanted > OpenFileLimit.FLOOR, "this host's own open-file hard limit (" + OpenFileLimit.hard()
                + ") leaves no room above the floor every sandbox gets");
        assertThat(r.body().split(" ")).as(r.body()).hasSize(2)
                .allSatisfy(limit -> assertThat(Long.parseLong(limit)).isGreaterThanOrEqualTo(wanted));
    }

    @Test
    void outputLineLongerThanTheCap_isCutInTheLog_andTheFunctionKeepsServing() {
        deployProbe("c-print", "go", "{maxInstances: 1}");
        HttpResponse<String> call = isola.get("/function/c-print/print?n=" + (256 * 1024));
        assertThat(call.statusCode()).as(call.body()).isEqualTo(200);
        String logs = Await.until(Duration.ofSeconds(20), () -> isola.admin(HttpRequest.newBuilder(
                        isola.uri("/system/functions/c-print/logs?tail=5"))).body(),
                l -> l.contains("printed"), "the line after the long one in the logs");
        assertThat(logs).contains("x".repeat(8000)).doesNotContain("x".repeat(8193))
                .contains("[line cut: " + (256 * 1024 - 8192) + " more bytes dropped]");
        assertThat(isola.get("/function/c-print/").statusCode()).isEqualTo(200);
    }

    @Test
    void slowFunction_pastTimeout_is504_itsInstanceIsReplaced_andPlatformKeepsServing() {
        HttpResponse<String> r = isola.deploy("c-slow", TestIsola.FUNCTIONS.resolve("probe"),
                "name: c-slow\nruntime: go\nlimits: {timeout: 1s}\nscaling: {maxInstances: 1}\n" + extraManifest());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        String hung = isola.get("/function/c-slow/").headers().firstValue("X-Isola-Instance").orElseThrow();
        HttpResponse<String> call = isola.get("/function/c-slow/sleep?ms=3000");
        assertThat(call.statusCode()).isEqualTo(504);
        assertThat(TestIsola.json(call).get("error").asText()).isEqualTo("timeout");
        HttpResponse<String> next = isola.get("/function/c-slow/");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.headers().firstValue("X-Isola-Instance")).as("the one still busy with the timed-out call")
                .isPresent().get().isNotEqualTo(hung);
        Await.until(Duration.ofSeconds(30), () -> isola.server().dispatcher().instances(),
                views -> views.stream().noneMatch(v -> v.id().equals(hung)), "the timed-out instance stopped");
    }

    @Test
    void delete_stopsInstancesAndFunctionIsGone() {
        deployProbe("c-delete", "go", "{maxInstances: 1}");
        assertThat(isola.get("/function/c-delete/").statusCode()).isEqualTo(200);
        HttpResponse<String> del = isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/c-delete")).DELETE());
        assertThat(del.statusCode()).isEqualTo(204);
        HttpResponse<String> after = isola.get("/function/c-delete/");
        assertThat(after.statusCode()).isEqualTo(404);
        assertThat(TestIsola.json(after).get("error").asText()).isEqualTo("function_not_found");
        assertThat(isola.server().dispatcher().instances()).noneMatch(v -> v.function().equals("c-delete"));
    }
}
