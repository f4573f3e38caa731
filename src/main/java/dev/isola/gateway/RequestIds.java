package dev.isola.gateway;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ids of the calls the edge answers with an error: 16 hex digits, random, so that one seen by a caller names one
 * failure in the function's log and tells nothing about how many calls the node served. Made only on errors.
 */
final class RequestIds {
    static final String HEADER = "X-Request-Id";

    private RequestIds() {
    }

    static String next() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }
}
