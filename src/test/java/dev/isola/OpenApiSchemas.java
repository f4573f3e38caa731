package dev.isola;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Enough of JSON Schema to hold Isola's JSON to openapi.yaml: $ref, type, enum, pattern, required, closed objects. */
public final class OpenApiSchemas {
    private OpenApiSchemas() {
    }

    public static JsonNode document() {
        try {
            return new YAMLMapper().readTree(Path.of("openapi.yaml").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Problems of {@code value} against {@code #/components/schemas/<schemaName>}; empty when it conforms. */
    public static List<String> problems(JsonNode doc, JsonNode value, String schemaName) {
        List<String> problems = new ArrayList<>();
        validate(doc, value, doc.at("/components/schemas/" + schemaName), schemaName, problems);
        return problems;
    }

    static void validate(JsonNode doc, JsonNode value, JsonNode schema, String where, List<String> problems) {
        schema = resolve(doc, schema);
        if (schema.isMissingNode()) {
            problems.add(where + ": no such schema");
            return;
        }
        String type = schema.path("type").asText();
        boolean typeOk = switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            default -> true;
        };
        if (!typeOk) {
            problems.add(where + " is not " + type);
            return;
        }
        if (schema.has("enum") && !schema.get("enum").toString().contains(value.toString())) {
            problems.add(where + " = " + value + " is not one of " + schema.get("enum"));
        }
        if (schema.has("pattern") && !value.asText().matches(schema.get("pattern").asText())) {
            problems.add(where + " = " + value + " does not match " + schema.get("pattern"));
        }
        for (JsonNode required : schema.path("required")) {
            if (!value.has(required.asText())) {
                problems.add(where + " lacks required " + required.asText());
            }
        }
        if (value.isObject()) {
            JsonNode additional = schema.path("additionalProperties");
            for (Map.Entry<String, JsonNode> property : value.properties()) {
                JsonNode propertySchema = schema.path("properties").path(property.getKey());
                if (!propertySchema.isMissingNode()) {
                    validate(doc, property.getValue(), propertySchema, where + "." + property.getKey(), problems);
                } else if (additional.isObject()) {
                    validate(doc, property.getValue(), additional, where + "." + property.getKey(), problems);
                } else if (additional.isBoolean() && !additional.asBoolean()) {
                    problems.add(where + " has unknown property " + property.getKey());
                }
            }
        }
        if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                validate(doc, value.get(i), schema.path("items"), where + "[" + i + "]", problems);
            }
        }
    }

    static JsonNode resolve(JsonNode doc, JsonNode node) {
        while (node.has("$ref")) {
            node = doc.at(node.get("$ref").asText().substring(1));
        }
        return node;
    }
}
