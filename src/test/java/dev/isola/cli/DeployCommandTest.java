package dev.isola.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.assertj.core.api.Assertions.assertThat;

class DeployCommandTest {
    private static final String MANIFEST = "name: hello\nruntime: go\nentry: .\n";

    private final FakeIsolaServer server = FakeIsolaServer.start();

    @TempDir
    Path dir;

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void deploy_functionDirectory_putsZipWithManifestAndBearerToken() throws IOException {
        writeFunction();
        server.on("PUT", "/system/functions/hello", 201, ApiExamples.json("FunctionDetail"));

        IsolaCli.Result result = IsolaCli.run("deploy", dir.toString(), "--admin-url", server.url(), "--token", "s3cret");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("Deployed hello version 3 (go, backend process)\n");
        FakeIsolaServer.Recorded request = server.lastRequest();
        assertThat(request.method()).isEqualTo("PUT");
        assertThat(request.header("Authorization")).isEqualTo("Bearer s3cret");
        assertThat(request.header("Content-Type")).isEqualTo("application/zip");
        Map<String, String> entries = unzip(request.body());
        assertThat(entries).containsOnlyKeys("function.yaml", "main.go", "pkg/greet.go");
        assertThat(entries.get("function.yaml")).isEqualTo(MANIFEST);
    }

    @Test
    void deploy_unchangedDirectoryTwice_uploadsIdenticalBytes() throws IOException {
        writeFunction();
        server.on("PUT", "/system/functions/hello", 200, ApiExamples.json("FunctionDetail"));

        IsolaCli.run("deploy", dir.toString(), "--admin-url", server.url(), "--token", "t");
        IsolaCli.run("deploy", dir.toString(), "--admin-url", server.url(), "--token", "t");

        assertThat(server.requests()).hasSize(2);
        assertThat(server.requests().get(1).body()).isEqualTo(server.requests().get(0).body());
    }

    @Test
    void deploy_buildFailed_printsFullCompilerOutputAndExits1() throws IOException {
        writeFunction();
        server.on("PUT", "/system/functions/hello", 422, """
                {"error":"build_failed","message":"go build failed:\\n./main.go:3:1: syntax error\\n./main.go:7:2: undefined: x"}""");

        IsolaCli.Result result = IsolaCli.run("deploy", dir.toString(), "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEqualTo("""
                Error (HTTP 422 build_failed):
                go build failed:
                ./main.go:3:1: syntax error
                ./main.go:7:2: undefined: x
                """);
    }

    @ParameterizedTest
    @CsvSource({
            "400, invalid_manifest, limits.memory must be between 16Mi and 64Gi",
            "400, name_mismatch, function.yaml names 'hello' but the URL names 'other'",
            "413, archive_too_large, The archive unpacks to more than 256 MiB",
    })
    void deploy_rejected_printsServerMessageAndExits1(int status, String code, String message) throws IOException {
        writeFunction();
        server.on("PUT", "/system/functions/hello", status,
                "{\"error\":\"" + code + "\",\"message\":\"" + message + "\"}");

        IsolaCli.Result result = IsolaCli.run("deploy", dir.toString(), "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("Error (HTTP " + status + " " + code + "): " + message + "\n");
    }

    /** A link out of the directory would upload the operator's file (a token, a key) to the function. */
    @Test
    void deploy_aLinkOutOfTheDirectory_isRefused_andNothingSent_aLinkWithinIsFollowed() throws IOException {
        writeFunction();
        Path secret = Files.writeString(Files.createTempFile("isola-deploy-secret", ".txt"), "s3cret");
        try {
            Files.createSymbolicLink(dir.resolve("greeting.txt"), dir.resolve("main.go"));
            server.on("PUT", "/system/functions/hello", 200, ApiExamples.json("FunctionDetail"));
            IsolaCli.run("deploy", dir.toString(), "--admin-url", server.url(), "--token", "t");
            assertThat(unzip(server.lastRequest().body())).containsKey("greeting.txt");

            Files.createSymbolicLink(dir.resolve("token"), secret);
            IsolaCli.Result result = IsolaCli.run("deploy", dir.toString(), "--admin-url", server.url(), "--token",
                    "t");

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.err()).contains("token links to " + secret.toRealPath()).contains("outside " + dir);
            assertThat(server.requests()).as("only the first deploy").hasSize(1);
        } finally {
            Files.delete(secret);
        }
    }

    @Test
    void deploy_directoryWithoutManifest_explainsAndSendsNothing() {
        IsolaCli.Result result = IsolaCli.run("deploy", dir.toString(), "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("Error: No function.yaml in " + dir + ": a function directory needs one");
        assertThat(server.requests()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "runtime: go                 | has no `name:`; add one, e.g. `name: hello`.",
            "name: [a, b]                | has no `name:`; add one, e.g. `name: hello`.",
            "name: Hello_World           | Invalid function name 'Hello_World'",
            "name: [hello                | Cannot parse",
    })
    void deploy_badManifest_explainsAndSendsNothing(String manifest, String expected) throws IOException {
        Files.writeString(dir.resolve("function.yaml"), manifest);

        IsolaCli.Result result = IsolaCli.run("deploy", dir.toString(), "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("Error: ").contains(expected);
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void deploy_notADirectory_explains() {
        IsolaCli.Result result = IsolaCli.run("deploy", dir.resolve("missing").toString(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("is not a directory");
    }

    private void writeFunction() throws IOException {
        Files.writeString(dir.resolve("function.yaml"), MANIFEST);
        Files.writeString(dir.resolve("main.go"), "package main\n");
        Files.createDirectories(dir.resolve("pkg"));
        Files.writeString(dir.resolve("pkg/greet.go"), "package pkg\n");
        Files.createDirectories(dir.resolve(".git/objects"));
        Files.writeString(dir.resolve(".git/config"), "[core]\n");
    }

    private static Map<String, String> unzip(byte[] zip) throws IOException {
        Map<String, String> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                entries.put(entry.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return entries;
    }
}
