package dev.isola.async;

import java.util.List;

/**
 * The call as it came to {@code /async-function/{name}}, stored to be replayed to the function.
 *
 * @param target  the path after the function's name, with the query: {@code /orders?id=7}, {@code /} at least
 * @param headers the end-to-end headers, without hop-by-hop ones and without those meant for Isola
 *                ({@code X-Callback-Url}, {@code Idempotency-Key})
 */
public record CallRequest(String method, String target, List<Header> headers, byte[] body) {
    public CallRequest {
        if (!target.startsWith("/")) {
            throw new IllegalArgumentException("target must start with /: " + target);
        }
        headers = List.copyOf(headers);
    }
}
