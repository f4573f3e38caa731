package dev.isola.cli;

import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code isola new}: what it writes passes its own test with the language's tool, and deploys unchanged to a real
 * server, where it answers.
 */
class NewCommandTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"go, go test ./...", "node, node --test", "python, python3 -m unittest"})
    void newFunction_passesItsOwnTest_andDeploysAsItIs(String runtime, String testCommand) throws Exception {
        String name = "fresh-" + runtime;
        IsolaCli.Result result = IsolaCli.run("new", name, "--runtime", runtime, "--dir", dir.toString());
        assertThat(result.exitCode()).as(result.err()).isZero();
        Path fn = dir.resolve(name);
        assertThat(Files.readString(fn.resolve("function.yaml"))).contains("name: " + name, "handler:");

        ProcessBuilder test = new ProcessBuilder(List.of(testCommand.split(" "))).directory(fn.toFile())
                .redirectErrorStream(true);
        Process p = test.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();

        try (TestIsola isola = TestIsola.start("process")) {
            HttpResponse<String> deployed = isola.deploy(name, fn, Files.readString(fn.resolve("function.yaml")));
            assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
            HttpResponse<String> call = isola.get("/function/" + name + "/?name=Isola");
            assertThat(call.statusCode()).isEqualTo(200);
            assertThat(call.body()).isEqualTo("Hello, Isola!\n");
        }
    }

    @Test
    void existingDirectory_orUnknownRuntime_orBadName_areRefused() throws Exception {
        Files.createDirectory(dir.resolve("taken"));
        IsolaCli.Result taken = IsolaCli.run("new", "taken", "--dir", dir.toString());
        assertThat(taken.exitCode()).isEqualTo(1);
        assertThat(taken.err()).contains("exists already");
        assertThat(IsolaCli.run("new", "fn", "--runtime", "cobol", "--dir", dir.toString()).exitCode()).isEqualTo(2);
        assertThat(IsolaCli.run("new", "Bad_Name", "--dir", dir.toString()).exitCode()).isEqualTo(2);
        assertThat(dir.resolve("fn")).doesNotExist();
    }
}
