package dev.isola.examples;

import dev.isola.testing.Leaks;
import dev.isola.testing.NoLeaks;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The paper's workloads behave the same in Go, Node.js and Python: {@code functions/check.sh} starts each twin as
 * Isola would (the Python ones through Isola's WSGI wrapper) and sends each language the same requests — answers,
 * 400s, Content-Types, odd queries — comparing every answer with Go's byte for byte. Run here so that CI runs it.
 */
@NoLeaks(Leaks.Scope.PROCESSES)
class WorkloadTwinsTest {
    @Test
    void goNodeAndPythonTwins_answerTheSameRequestsAlike() throws IOException, InterruptedException {
        Path log = Files.createTempFile("isola-check-", ".log");
        try {
            Process check = new ProcessBuilder("bash", "functions/check.sh", "go", "node", "python")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean exited = check.waitFor(10, TimeUnit.MINUTES);
            if (!exited) {
                check.destroy(); // our own child: the script stops what it started on TERM
                check.waitFor(30, TimeUnit.SECONDS);
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(exited).as("check.sh finished within 10 minutes:%n%s", output).isTrue();
            assertThat(check.exitValue()).as(output).isZero();
            assertThat(output).contains("all checks passed").doesNotContain("FAIL");
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
