package dev.isola.gateway;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Versions through a real server: staged deploys, rollbacks (to the previous version or a named one), the version
 * on every answer, clear errors, and a rollback under load that drops no call.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RollbackTest {
    private static final Path PROBE = TestIsola.FUNCTIONS.resolve("probe");
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("process");

    private TestIsola isola;

    @BeforeAll
    void start() {
        isola = SERVER.isola();
    }

    private void deploy(String name, String greeting, boolean activate) {
        HttpResponse<String> r = isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/" + name
                + (activate ? "" : "?activate=false"))).PUT(HttpRequest.BodyPublishers.ofByteArray(TestIsola.zip(
                PROBE, "name: " + name + "\nruntime: go\nenv: {GREETING: " + greeting + "}\n"))));
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
    }

    private HttpResponse<String> rollback(String name, String body) {
        return isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/" + name + "/rollback"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** The greeting the function answers with, and the version header of that answer. */
    private String served(String name) {
        HttpResponse<String> r = isola.get("/function/" + name + "/env?name=GREETING");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body().strip() + " v" + r.headers().firstValue("X-Isola-Version").orElse("?");
    }

    private List<String> versionStates(String name) {
        List<String> states = new ArrayList<>();
        HttpResponse<String> r = isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/" + name
                + "/versions")).GET());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        for (JsonNode v : TestIsola.json(r)) {
            states.add(v.get("version").asInt() + (v.get("active").asBoolean() ? " active"
                    : v.get("previous").asBoolean() ? " previous" : ""));
        }
        return states;
    }

    @Test
    void rollback_stagedVersions_andTheVersionOnEveryAnswer() {
        deploy("rb", "one", true);
        deploy("rb", "two", true);
        assertThat(served("rb")).isEqualTo("two v2");
        assertThat(versionStates("rb")).containsExactly("1 previous", "2 active");

        HttpResponse<String> back = rollback("rb", "");
        assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
        assertThat(TestIsola.json(back).get("version").asInt()).isEqualTo(1);
        assertThat(served("rb")).isEqualTo("one v1");

        deploy("rb", "three", false);
        assertThat(served("rb")).as("a staged version does not serve").isEqualTo("one v1");
        assertThat(versionStates("rb")).containsExactly("1 active", "2 previous", "3");

        assertThat(rollback("rb", "{\"version\": 3}").statusCode()).isEqualTo(200);
        assertThat(served("rb")).isEqualTo("three v3");
        assertThat(versionStates("rb")).containsExactly("1 previous", "2", "3 active");
    }

    @Test
    void rollback_badRequests_areClearErrors_andChangeNothing() {
        deploy("rb-bad", "one", true);

        assertError(rollback("rb-bad", ""), 404, "version_not_found");
        assertError(rollback("rb-bad", "{\"version\": 99}"), 404, "version_not_found");
        assertError(rollback("rb-bad", "{\"version\": \"x\"}"), 400, "invalid_parameter");
        assertError(rollback("rb-bad", "not json"), 400, "invalid_parameter");
        assertError(rollback("rb-bad", "{\"versoin\": 1}"), 400, "invalid_parameter");
        assertError(rollback("rb-bad", "[1]"), 400, "invalid_parameter");
        assertError(rollback("rb-bad", "{\"version\": 1.5}"), 400, "invalid_parameter");
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/rb-bad/traffic"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"weights\": {\"1\": 99.5}}"))), 400, "invalid_parameter");
        String huge = // past the 64 KiB a rollback or a split may send
                "{\"version\": 1, \"pad\": \"" + "x".repeat(70_000) + "\"}";
        assertError(rollback("rb-bad", huge), 413, "body_too_large");
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/rb-bad/traffic"))
                .PUT(HttpRequest.BodyPublishers.ofString(huge))), 413, "body_too_large");
        assertError(rollback("nobody", ""), 404, "function_not_found");
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/rb-bad?activate=maybe"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(TestIsola.zip(PROBE, "name: rb-bad\nruntime: go\n")))),
                400, "invalid_parameter");
        assertThat(served("rb-bad")).isEqualTo("one v1");
    }

    /** Calls keep coming from 8 clients while the version changes back and forth: every one is answered 200. */
    @Test
    void rollbacks_underLoad_dropNoCall() throws Exception {
        deploy("rb-load", "one", true);
        deploy("rb-load", "two", true);
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentHashMap<String, Integer> answers = new ConcurrentHashMap<>();
        List<Future<?>> clients = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 8; c++) {
                clients.add(pool.submit(() -> {
                    while (running.get()) {
                        HttpResponse<String> r = isola.get("/function/rb-load/env?name=GREETING");
                        answers.merge(r.statusCode() + " " + r.body().strip(), 1, Integer::sum);
                    }
                    return null;
                }));
            }
            for (int i = 0; i < 6; i++) {
                long before = answered(answers);
                Await.until(Duration.ofSeconds(30), () -> answered(answers), n -> n >= before + 16,
                        "16 more answers before the next rollback");
                assertThat(rollback("rb-load", "").statusCode()).isEqualTo(200);
            }
            running.set(false);
            for (Future<?> client : clients) {
                client.get();
            }
        }
        assertThat(answers.keySet()).as("every answer, by status and body: %s", answers)
                .allMatch(k -> k.equals("200 one") || k.equals("200 two"));
        assertThat(answers).containsKeys("200 one", "200 two");
    }

    /**
     * A 90/10 split measured over 10,000 calls (8 clients): each version's share within 2 points of its weight
     * (5 standard deviations of the binomial at n = 10,000), every call answered 200, and a rollback ends the split.
     */
    @Test
    void aTrafficSplit_sendsEachVersionItsShareOfCalls() throws Exception {
        deploy("rb-split", "one", true);
        deploy("rb-split", "two", true);
        HttpResponse<String> split = isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/rb-split/traffic"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"weights\": {\"1\": 90, \"2\": 10}}")));
        assertThat(split.statusCode()).as(split.body()).isEqualTo(200);
        assertThat(versionStates("rb-split")).containsExactly("1 active", "2 previous");

        ConcurrentHashMap<String, Integer> answers = new ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                clients.add(pool.submit(() -> {
                    for (int i = 0; i < 1250; i++) {
                        answers.merge(served("rb-split"), 1, Integer::sum);
                    }
                    return null;
                }));
            }
            for (Future<?> client : clients) {
                client.get();
            }
        }
        System.out.println("90/10 split over 10,000 calls: " + answers); // a figure for the notes
        assertThat(answers.keySet()).containsExactlyInAnyOrder("one v1", "two v2");
        assertThat(answers.get("two v2")).as("calls to version 2 of 10,000: %s", answers).isBetween(800, 1200);

        assertThat(rollback("rb-split", "{\"version\": 2}").statusCode()).isEqualTo(200);
        for (int i = 0; i < 20; i++) {
            assertThat(served("rb-split")).isEqualTo("two v2");
        }
    }

    private static long answered(ConcurrentHashMap<String, Integer> answers) {
        return answers.values().stream().mapToLong(Integer::longValue).sum();
    }

    private void assertError(HttpResponse<String> r, int status, String code) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(TestIsola.json(r).get("error").asText()).isEqualTo(code);
        assertThat(TestIsola.json(r).get("message").asText()).isNotBlank();
    }
}
