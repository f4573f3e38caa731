package dev.isola.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.Map;

/** The one error body of the API: {@code {"error": "<stable code>", "message": "<what is wrong>"}}. */
public final class ErrorBody {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorBody() {
    }

    public static byte[] json(ErrorCode code, String message) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", code.wireName());
        body.put("message", message);
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise an error body", e);
        }
    }
}
