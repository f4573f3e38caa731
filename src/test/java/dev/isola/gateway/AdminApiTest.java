package dev.isola.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.testing.Await;
import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin API with good and bad input: every rejection is a clear JSON error and nothing else is disturbed. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminApiTest {
    private static final Path PROBE = TestIsola.FUNCTIONS.resolve("probe");
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("process");

    private TestIsola isola;

    @BeforeAll
    void start() {
        isola = SERVER.isola();
        assertThat(isola.deploy("keeper", PROBE, "name: keeper\nruntime: go\n").statusCode()).isEqualTo(201);
    }

    private HttpResponse<String> put(String name, byte[] body) {
        return isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/" + name))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private void assertError(HttpResponse<String> r, int status, String code) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode body = TestIsola.json(r);
        assertThat(body.get("error").asText()).isEqualTo(code);
        assertThat(body.get("message").asText()).isNotBlank();
        assertThat(isola.get("/function/keeper/").statusCode()).as("platform keeps serving").isEqualTo(200);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "name: bad\\nruntime: go\\nlimts: {memory: 1Gi}\\n|invalid_manifest",
        "name: bad\\n|invalid_manifest",
        "name: bad\\nruntime: cobol\\n|invalid_manifest",
        "name: other\\nruntime: go\\n|name_mismatch",
        "name: bad\\nruntime: go\\nlimits: {memory: lots}\\n|invalid_manifest",
    })
    void deploy_badManifest_isRejectedClearly(String manifest, String code) {
        assertError(isola.deploy("bad", PROBE, manifest.replace("\\n", "\n")), 400, code);
        assertThat(isola.get("/function/bad/").statusCode()).isEqualTo(404);
    }

    @Test
    void thePublicPort_servesNothingOfTheControlPlane_evenWithTheToken() {
        for (String path : List.of("/system/functions", "/system/instances", "/metrics")) {
            HttpResponse<String> outside = isola.admin(HttpRequest.newBuilder(isola.publicUri(path)));
            assertThat(outside.statusCode()).as(path + " on the public port: " + outside.body()).isEqualTo(404);
            assertThat(TestIsola.json(outside).get("error").asText()).isEqualTo("not_found");
            assertThat(isola.admin(HttpRequest.newBuilder(isola.uri(path))).statusCode())
                    .as(path + " on the admin port").isEqualTo(200);
        }
        assertThat(isola.server().adminUri().getHost()).as("loopback by default").isEqualTo("127.0.0.1");
        assertThat(isola.server().adminUri().getPort()).isNotEqualTo(isola.server().port());
    }

    @Test
    void deploy_invalidName_is400() {
        assertError(put("Bad_Name", TestIsola.zip(PROBE, "name: x\nruntime: go\n")), 400, "invalid_name");
        assertError(put("a".repeat(64), TestIsola.zip(PROBE, "name: x\nruntime: go\n")), 400, "invalid_name");
    }

    @Test
    void deploy_zipSlip_isRejectedAndWritesNothingOutside() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("function.yaml"));
            zip.write("name: slip\nruntime: node\n".getBytes());
            zip.putNextEntry(new ZipEntry("../../../../tmp/isola-slip-test"));
            zip.write("owned".getBytes());
        }
        assertError(put("slip", bytes.toByteArray()), 400, "invalid_archive");
        assertThat(Path.of("/tmp/isola-slip-test")).doesNotExist();
    }

    @Test
    void deploy_garbageBody_is400() {
        assertError(put("garbage", "this is not an archive".getBytes()), 400, "invalid_archive");
    }

    @Test
    void deploy_archiveOverLimit_is413() {
        byte[] big = new byte[(int) isola.server().config().maxArchiveBytes() + 10];
        assertError(put("big", big), 413, "body_too_large");
    }

    @Test
    void deploy_chunkedArchiveOverLimit_is413_notAServerError() {
        byte[] big = new byte[(int) isola.server().config().maxArchiveBytes() + 10];
        HttpResponse<String> r = isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/big"))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))));
        assertError(r, 413, "body_too_large");
    }

    @Test
    void deploy_compileError_is422WithCompilerOutput(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("main.go"), "package main\n\nfunc main() { undefinedThing() }\n");
        HttpResponse<String> r = isola.deploy("broken", dir, "name: broken\nruntime: go\n");
        assertError(r, 422, "build_failed");
        assertThat(TestIsola.json(r).get("message").asText()).contains("undefinedThing");
        assertThat(isola.stateDir().resolve("functions/broken")).doesNotExist();
    }

    @Test
    void redeploy_createsNewVersion_andDescribeShowsBoth() {
        assertThat(isola.deploy("versioned", PROBE, "name: versioned\nruntime: go\n").statusCode()).isEqualTo(201);
        HttpResponse<String> second = isola.deploy("versioned", PROBE,
                "name: versioned\nruntime: go\nenv: {GREETING: v2}\n");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(TestIsola.json(second).get("version").asInt()).isEqualTo(2);
        assertThat(isola.get("/function/versioned/env?name=GREETING").body()).isEqualTo("v2\n");
        JsonNode detail = TestIsola.json(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/versioned"))));
        assertThat(detail.get("versions")).hasSize(2);
        assertThat(detail.get("manifest").get("env").get("GREETING").asText()).isEqualTo("v2");
    }

    @Test
    void describeAndDelete_unknownFunction_are404() {
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/ghost"))), 404,
                "function_not_found");
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/ghost")).DELETE()), 404,
                "function_not_found");
    }

    @Test
    void logs_holdFunctionOutput() {
        isola.get("/function/keeper/");
        HttpResponse<String> r = isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/keeper/logs?tail=5")));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("probe listening on");
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/keeper/logs?tail=x"))), 400,
                "invalid_parameter");
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/keeper/logs?follow=yes"))), 400,
                "invalid_parameter");
    }

    @Test
    void listAndInstances_showDeployedFunctions() {
        isola.get("/function/keeper/");
        JsonNode list = TestIsola.json(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions"))));
        assertThat(list.findValuesAsText("name")).contains("keeper");
        JsonNode instances = TestIsola.json(isola.admin(HttpRequest.newBuilder(isola.uri("/system/instances"))));
        assertThat(instances.findValuesAsText("function")).contains("keeper");
        assertThat(instances.get(0).get("state").asText()).isEqualTo("ready");
    }

    @Test
    void instances_comeInPagesLinkedByTheLastId() {
        assertThat(isola.deploy("pager", PROBE, "name: pager\nruntime: go\nscaling: {concurrency: 1}\n").statusCode())
                .isEqualTo(201);
        List<CompletableFuture<HttpResponse<String>>> held = IntStream.range(0, 3).mapToObj(i -> isola.http()
                .sendAsync(HttpRequest.newBuilder(isola.uri("/function/pager/sleep?ms=3000")).build(),
                        HttpResponse.BodyHandlers.ofString())).toList();
        Await.until(Duration.ofSeconds(30), () -> TestIsola.json(isola.admin(HttpRequest.newBuilder(
                isola.uri("/system/instances?function=pager")))).size() == 3, "three instances of pager");

        List<String> ids = new ArrayList<>();
        String next = "/system/instances?function=pager&limit=2";
        int pages = 0;
        while (next != null) {
            HttpResponse<String> page = isola.admin(HttpRequest.newBuilder(isola.uri(next)));
            assertThat(page.statusCode()).isEqualTo(200);
            TestIsola.json(page).forEach(n -> ids.add(n.get("id").asText()));
            next = page.headers().firstValue("Link").map(l -> l.substring(1, l.indexOf('>'))).orElse(null);
            pages++;
        }

        assertThat(pages).isEqualTo(2);
        assertThat(ids).hasSize(3).isSorted().doesNotHaveDuplicates().allMatch(id -> id.startsWith("pager."));
        JsonNode detail = TestIsola.json(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/pager"))));
        assertThat(detail.get("instanceCount").asInt()).isEqualTo(3);
        assertThat(detail.get("instances").findValuesAsText("id")).isEqualTo(ids);
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/instances?limit=0"))), 400,
                "invalid_parameter");
        held.forEach(CompletableFuture::join);
    }

    @Test
    void invocations_listTheFunctionsCallsNewestFirst() {
        assertThat(isola.get("/function/keeper/echo/one").statusCode()).isEqualTo(201);
        assertThat(isola.get("/function/keeper/").statusCode()).isEqualTo(200);

        HttpResponse<String> r = isola.admin(HttpRequest.newBuilder(isola.uri(
                "/system/functions/keeper/invocations?limit=2")));

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode calls = TestIsola.json(r);
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).get("status").asInt()).isEqualTo(200);
        assertThat(calls.get(1).get("status").asInt()).isEqualTo(201);
        assertThat(calls.get(0).get("instance").asText()).startsWith("keeper.");
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/keeper/invocations?limit=x"))),
                400, "invalid_parameter");
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/nobody/invocations"))), 404,
                "function_not_found");
    }

    @Test
    void logs_followed_streamNewLinesAsServerSentEvents() throws Exception {
        assertThat(isola.deploy("chatty", PROBE, "name: chatty\nruntime: go\n").statusCode()).isEqualTo(201);
        assertThat(isola.get("/function/chatty/").statusCode()).isEqualTo(200);
        HttpResponse<java.util.stream.Stream<String>> stream = isola.http().send(HttpRequest.newBuilder(
                        isola.uri("/system/functions/chatty/logs?follow=true"))
                .header("Authorization", "Bearer " + isola.server().adminToken()).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/event-stream"));

        CompletableFuture<String> printed = CompletableFuture.supplyAsync(() -> stream.body()
                .filter(l -> l.startsWith("data: ") && l.endsWith(" printed")).findFirst().orElse(""));
        Await.until(Duration.ofSeconds(20), () -> {
            isola.get("/function/chatty/print?n=3");
            return printed.isDone();
        }, "the followed line");

        assertThat(printed.get()).matches("data: \\S+ chatty\\.\\S+ printed");
        stream.body().close();
    }

    @Test
    void logs_since_givesOnlyLinesWrittenThen_alsoBeforeFollowing() throws Exception {
        assertThat(isola.deploy("since", PROBE, "name: since\nruntime: go\n").statusCode()).isEqualTo(201);
        assertThat(isola.get("/function/since/").statusCode()).isEqualTo(200);
        Await.until(Duration.ofSeconds(10), () -> isola.admin(HttpRequest.newBuilder(
                isola.uri("/system/functions/since/logs"))).body(), b -> b.contains("listening"), "the start-up line");
        java.time.Instant mark = java.time.Instant.now();
        Await.until(Duration.ofSeconds(5), () -> java.time.Instant.now().isAfter(mark), "the clock to move on");
        isola.get("/function/since/print?n=3");
        String recent = Await.until(Duration.ofSeconds(10), () -> isola.admin(HttpRequest.newBuilder(
                isola.uri("/system/functions/since/logs?since=" + mark))).body(), b -> b.contains("printed"),
                "the printed line");
        assertThat(recent).doesNotContain("listening").contains("xxx");
        assertThat(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/since/logs?since=1h"))).body())
                .contains("listening", "printed");
        assertError(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/since/logs?since=yesterday"))),
                400, "invalid_parameter");

        HttpResponse<java.util.stream.Stream<String>> stream = isola.http().send(HttpRequest.newBuilder(
                        isola.uri("/system/functions/since/logs?follow=true&since=" + mark))
                .header("Authorization", "Bearer " + isola.server().adminToken()).build(),
                HttpResponse.BodyHandlers.ofLines());
        String replayed = CompletableFuture.supplyAsync(() -> stream.body()
                .filter(l -> l.startsWith("data: ") && l.endsWith(" printed")).findFirst().orElse("")).get();
        assertThat(replayed).as("lines since the mark come first when following").contains(" since.");
        stream.body().close();
    }

    @Test
    void logs_followed_goOnAcrossAnInstanceRestart() throws Exception {
        assertThat(isola.deploy("phoenix", PROBE, "name: phoenix\nruntime: go\nscaling: {maxInstances: 1}\n")
                .statusCode()).isEqualTo(201);
        assertThat(isola.get("/function/phoenix/").statusCode()).isEqualTo(200);
        HttpResponse<java.util.stream.Stream<String>> stream = isola.http().send(HttpRequest.newBuilder(
                        isola.uri("/system/functions/phoenix/logs?follow=true"))
                .header("Authorization", "Bearer " + isola.server().adminToken()).build(),
                HttpResponse.BodyHandlers.ofLines());
        java.util.concurrent.BlockingQueue<String> printed = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> stream.body().filter(l -> l.startsWith("data: ") && l.endsWith(" printed"))
                .forEach(printed::add));

        String first = Await.until(Duration.ofSeconds(20), () -> {
            isola.get("/function/phoenix/print?n=3");
            return printed.poll();
        }, l -> l != null, "a line of the first instance");
        isola.get("/function/phoenix/crash"); // the instance exits; the next call starts another
        String second = Await.until(Duration.ofSeconds(30), () -> {
            isola.get("/function/phoenix/print?n=3");
            String line = printed.poll();
            return line == null || line.split(" ")[2].equals(first.split(" ")[2]) ? null : line;
        }, l -> l != null, "a line of the next instance, on the same stream");

        assertThat(second.split(" ")[2]).startsWith("phoenix.").isNotEqualTo(first.split(" ")[2]);
        stream.body().close();
    }

    @Test
    void restart_bringsEveryFunctionBack() {
        assertThat(isola.deploy("survivor", PROBE, "name: survivor\nruntime: go\n").statusCode()).isEqualTo(201);
        isola.restart();
        HttpResponse<String> r = isola.get("/function/survivor/env?name=GREETING");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(isola.get("/function/keeper/").statusCode()).isEqualTo(200);
    }
}
