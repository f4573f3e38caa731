package dev.isola.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DescribeCommandTest {
    private final FakeIsolaServer server = FakeIsolaServer.start();

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void describe_function_printsSettingsVersionsAndInstances() {
        server.on("GET", "/system/functions/hello", 200, ApiExamples.json("FunctionDetail"));

        IsolaCli.Result result = IsolaCli.run("describe", "hello", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("""
                Name:        hello
                Version:     3, deployed 2026-11-26T18:00:00Z
                Runtime:     go (entry .)
                Backend:     process
                Limits:      memory 512Mi, cpus 1.0, timeout 30s
                Scaling:     concurrency 100, instances 0-8, idle timeout 5m
                Env:         GREETING=hi
                Invocations: 1234

                Versions:
                  VERSION      DEPLOYED               SOURCE SHA256
                  1            2026-11-26T17:00:00Z   9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
                  2            2026-11-26T17:30:00Z   60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
                  3 (active)   2026-11-26T18:00:00Z   fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13

                Instances:
                  ID             STATE   ENDPOINT          VERSION   IN FLIGHT   SERVED   COLD START   STARTED
                  hello-7f3a9c   ready   127.0.0.1:41234   3         0           12       5.4 ms       2026-11-26T18:01:00Z
                """);
    }

    @Test
    void describe_manyInstances_saysHowManyTheDetailLeftOut() {
        server.on("GET", "/system/functions/hello", 200,
                ApiExamples.json("FunctionDetail").replace("\"instanceCount\":1", "\"instanceCount\":5000"));

        IsolaCli.Result result = IsolaCli.run("describe", "hello", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains(
                "Instances (the first 1 of 5000; GET /system/instances?function=hello lists all):");
    }

    @Test
    void describe_json_printsServerJson() {
        server.on("GET", "/system/functions/hello", 200, ApiExamples.json("FunctionDetail"));

        IsolaCli.Result result = IsolaCli.run("describe", "hello", "--json", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo(ApiExamples.json("FunctionDetail") + "\n");
    }

    @Test
    void describe_unknownFunction_printsServerMessageAndExits1() {
        server.on("GET", "/system/functions/nope", 404,
                "{\"error\":\"function_not_found\",\"message\":\"Function 'nope' is not deployed\"}");

        IsolaCli.Result result = IsolaCli.run("describe", "nope", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("Error (HTTP 404 function_not_found): Function 'nope' is not deployed\n");
    }
}
