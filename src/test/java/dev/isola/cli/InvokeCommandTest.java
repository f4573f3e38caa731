package dev.isola.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class InvokeCommandTest {
    private static final Map<String, String> ISOLA_HEADERS =
            Map.of("X-Isola-Instance", "hello-7f3a9c", "X-Isola-Cold-Start", "true");

    private final FakeIsolaServer server = FakeIsolaServer.start();

    @TempDir
    Path tmp;

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void invoke_withoutData_sendsGetWithoutTokenAndWritesBodyByteExact() {
        byte[] body = {0, 1, (byte) 0xff, (byte) 0xc3, '\r', '\n', 'x'};
        server.on("GET", "/function/hello", 200, "application/octet-stream", body, ISOLA_HEADERS);

        // An empty state dir proves invocations need no admin token.
        IsolaCli.Result result = IsolaCli.run("invoke", "hello", "--url", server.url(), "--state-dir", tmp.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.rawOut()).isEqualTo(body);
        assertThat(result.err()).isEmpty();
        assertThat(server.lastRequest().method()).isEqualTo("GET");
        assertThat(server.lastRequest().header("Authorization")).isNull();
    }

    @Test
    void invoke_withData_sendsPostWithThatBody() {
        server.on("POST", "/function/echo", 200, "text/plain", "ok".getBytes(StandardCharsets.UTF_8), ISOLA_HEADERS);

        IsolaCli.Result result = IsolaCli.run("invoke", "echo", "-d", "héllo", "--url", server.url());

        assertThat(result.exitCode()).isZero();
        assertThat(result.rawOutText()).isEqualTo("ok");
        assertThat(server.lastRequest().method()).isEqualTo("POST");
        assertThat(server.lastRequest().body()).isEqualTo("héllo".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void invoke_dataFromFile_sendsFileBytes() throws IOException {
        byte[] payload = {(byte) 0x89, 'P', 'N', 'G', 0};
        Path file = Files.write(tmp.resolve("payload.bin"), payload);
        server.on("POST", "/function/echo", 200, "text/plain", new byte[0], ISOLA_HEADERS);

        IsolaCli.Result result = IsolaCli.run("invoke", "echo", "-d", "@" + file, "--url", server.url());

        assertThat(result.exitCode()).isZero();
        assertThat(server.lastRequest().body()).isEqualTo(payload);
    }

    @Test
    void invoke_methodPathQueryAndHeaders_passThrough() {
        server.on("PUT", "/function/hello/items/7", 200, "text/plain", new byte[0], ISOLA_HEADERS);

        IsolaCli.Result result = IsolaCli.run("invoke", "hello", "-X", "put", "--path", "/items/7?full=1&x=%20",
                "-H", "X-Trace: abc", "-H", "Content-Type: text/plain", "-d", "body", "--url", server.url());

        assertThat(result.exitCode()).isZero();
        FakeIsolaServer.Recorded request = server.lastRequest();
        assertThat(request.method()).isEqualTo("PUT");
        assertThat(request.uri().getRawPath()).isEqualTo("/function/hello/items/7");
        assertThat(request.uri().getRawQuery()).isEqualTo("full=1&x=%20");
        assertThat(request.header("X-Trace")).isEqualTo("abc");
        assertThat(request.header("Content-Type")).isEqualTo("text/plain");
    }

    @Test
    void invoke_include_printsStatusAndHeadersToStderrAndBodyToStdout() {
        server.on("GET", "/function/hello", 200, "text/plain", "hi".getBytes(StandardCharsets.UTF_8), ISOLA_HEADERS);

        IsolaCli.Result result = IsolaCli.run("invoke", "hello", "-i", "--url", server.url());

        assertThat(result.exitCode()).isZero();
        assertThat(result.rawOutText()).isEqualTo("hi");
        assertThat(result.err()).startsWith("HTTP/1.1 200\n").endsWith("\n\n")
                .containsIgnoringCase("x-isola-cold-start: true")
                .containsIgnoringCase("x-isola-instance: hello-7f3a9c");
    }

    @Test
    void invoke_platformError_printsMessageWithoutBodyAndExits1() {
        server.on("GET", "/function/hello", 429, "{\"error\":\"saturated\",\"message\":\"All 8 instances of hello are "
                + "busy and 100 requests are queued\"}");

        IsolaCli.Result result = IsolaCli.run("invoke", "hello", "--url", server.url());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.rawOut()).isEmpty();
        assertThat(result.err()).isEqualTo(
                "Error (HTTP 429 saturated): All 8 instances of hello are busy and 100 requests are queued\n");
    }

    @Test
    void invoke_functionAnswersError_writesItsBodyAndExits1() {
        server.on("GET", "/function/hello", 500, "application/json",
                "{\"error\":\"db down\",\"retry\":true}".getBytes(StandardCharsets.UTF_8), ISOLA_HEADERS);

        IsolaCli.Result result = IsolaCli.run("invoke", "hello", "--url", server.url());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.rawOutText()).isEqualTo("{\"error\":\"db down\",\"retry\":true}");
        assertThat(result.err()).isEqualTo("Error: function hello answered HTTP 500\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-H=Host: evil", "-H=no-colon", "--path=/a b", "-X=GE T", "--timeout=0"})
    void invoke_badRequestOption_isUsageErrorAndSendsNothing(String option) {
        IsolaCli.Result result = IsolaCli.run("invoke", "hello", option, "--url", server.url());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(server.requests()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Hello", "../system", "a_b", "x-"})
    void invoke_invalidName_isUsageErrorWithNamingRule(String name) {
        IsolaCli.Result result = IsolaCli.run("invoke", name, "--url", server.url());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Invalid function name");
        assertThat(server.requests()).isEmpty();
    }
}
