package dev.isola.async;

import java.util.List;

/**
 * What the function answered to a call's last attempt.
 *
 * @param truncated whether {@code body} holds only the first {@code asyncResultMaxBytes} of the answer
 */
public record CallResult(int status, List<Header> headers, byte[] body, boolean truncated) {
    public CallResult {
        headers = List.copyOf(headers);
    }
}
