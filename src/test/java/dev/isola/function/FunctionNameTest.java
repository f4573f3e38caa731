package dev.isola.function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FunctionNameTest {
    /** The rule as documented (openapi.yaml, README): what the hand-written check must agree with. */
    private static final Pattern DOCUMENTED = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    @ParameterizedTest
    @ValueSource(strings = {"a", "hello", "fib-2", "a1", "x-y-z"})
    void valid(String name) {
        assertThat(FunctionName.of(name).value()).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1a", "-a", "a-", "Hello", "a_b", "a/b", "..", "a.b", "é", "a b"})
    void invalid_isRejectedWithItsCode(String name) {
        assertThatThrownBy(() -> FunctionName.of(name)).isInstanceOf(InvalidFunctionException.class)
                .hasMessageContaining("Invalid function name");
    }

    @Test
    void lengthBound_is63() {
        assertThat(FunctionName.of("a".repeat(63)).value()).hasSize(63);
        assertThatThrownBy(() -> FunctionName.of("a".repeat(64))).isInstanceOf(InvalidFunctionException.class);
    }

    @Test
    void agreesWithTheDocumentedPattern_onRandomStrings() {
        Random random = new Random(42);
        String alphabet = "az09-_A/.";
        for (int i = 0; i < 100_000; i++) {
            StringBuilder s = new StringBuilder();
            int length = random.nextInt(66);
            for (int j = 0; j < length; j++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String name = s.toString();
            boolean expected = DOCUMENTED.matcher(name).matches() && !name.endsWith("-");
            boolean accepted;
            try {
                FunctionName.of(name);
                accepted = true;
            } catch (InvalidFunctionException e) {
                accepted = false;
            }
            assertThat(accepted).as(name).isEqualTo(expected);
        }
    }
}
