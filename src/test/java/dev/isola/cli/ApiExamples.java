package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Canned server responses taken from the examples in the checked-in openapi.yaml, so the client is tested against
 * what the API description promises rather than against JSON invented in each test.
 */
final class ApiExamples {
    private static final JsonNode DOCUMENT = load();

    private ApiExamples() {
    }

    static String json(String schema) {
        JsonNode example = DOCUMENT.at("/components/schemas/" + schema + "/example");
        if (example.isMissingNode()) {
            throw new IllegalArgumentException("openapi.yaml has no example for schema " + schema);
        }
        return example.toString();
    }

    private static JsonNode load() {
        try {
            // Surefire runs in the project root, where openapi.yaml is checked in.
            return new YAMLMapper().readTree(Path.of("openapi.yaml").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
