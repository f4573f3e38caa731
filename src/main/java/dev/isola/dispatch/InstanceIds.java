package dev.isola.dispatch;

import dev.isola.function.FunctionName;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Instance ids: {@code <function>.<10 hex digits>}. Function names contain no '.', and the random part has a fixed
 * width, so no id is a prefix of another — runsc resolves container ids by prefix and would otherwise act on the
 * wrong container.
 */
final class InstanceIds {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String prefix;

    InstanceIds(FunctionName function) {
        this.prefix = function.value() + ".";
    }

    String next() {
        byte[] bytes = new byte[5];
        RANDOM.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }
}
