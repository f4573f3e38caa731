package dev.isola.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

import java.util.LinkedHashMap;
import java.util.Map;

/** The one error body of the API: {@code {"error": "<stable code>", "message": "<what is wrong>"}}. */
final class ApiError {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ApiError() {
    }

    static void send(ServerResponse res, int status, String code, String message) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("message", message);
        try {
            byte[] bytes = JSON.writeValueAsBytes(body);
            res.status(status);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise an error body", e);
        }
    }
}
