package dev.isola.function;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Node.js wrapper's lazy Request and Response ({@code lazy-fetch.cjs}) behave as the real ones: the tests in
 * {@code src/test/node}, in Node's own test runner, compare each with what undici's classes do for the same input.
 */
class LazyFetchTest {
    private static final Path TESTS = Path.of("src/test/node/lazy-fetch.test.mjs");

    @Test
    void nodeTests_pass() throws Exception {
        assertThat(TESTS).isRegularFile();
        Process node = new ProcessBuilder(List.of("node", "--test", TESTS.toString())).redirectErrorStream(true)
                .start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(node.exitValue()).as(out).isZero();
        assertThat(count(out, "pass")).as(out).isGreaterThanOrEqualTo(40);
        assertThat(count(out, "fail")).as(out).isZero();
    }

    /** The runner's summary line {@code # <what> N}. */
    private static int count(String out, String what) {
        Matcher m = Pattern.compile("^# " + what + " (\\d+)$", Pattern.MULTILINE).matcher(out);
        assertThat(m.find()).as("'# %s' in node's output:%n%s", what, out).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
