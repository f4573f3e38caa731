package dev.isola.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one error body of the API: {@code {"error": "<stable code>", "message": "<what is wrong>"}}, and for a failed
 * call of a function {@code "requestId"}, which names the failure in the function's log.
 */
public final class ErrorBody {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorBody() {
    }

    public static byte[] json(ErrorCode code, String message) {
        return json(code, message, null);
    }

    /** @param requestId the id of the failed call, or null */
    public static byte[] json(ErrorCode code, String message, String requestId) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", code.wireName());
        body.put("message", message);
        if (requestId != null) {
            body.put("requestId", requestId);
        }
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise an error body", e);
        }
    }
}
