package dev.isola;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.isola.api.ErrorCode;
import dev.isola.api.Route;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Holds the checked-in openapi.yaml to the API Isola promises: the routes, auth on /system, resolvable references,
 * Error bodies on every error status, closed response objects, and examples that satisfy their own schemas (the CLI
 * tests use those examples as the server's answers).
 */
class OpenApiDocumentTest {
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch",
            "trace");

    private final JsonNode doc = load();

    @Test
    void document_isOpenApi303WithBearerScheme() {
        assertThat(doc.path("openapi").asText()).isEqualTo("3.0.3");
        assertThat(doc.at("/components/securitySchemes/bearer/type").asText()).isEqualTo("http");
        assertThat(doc.at("/components/securitySchemes/bearer/scheme").asText()).isEqualTo("bearer");
    }

    @Test
    void operations_areExactlyTheRoutesIsolaServes() {
        Set<String> served = new TreeSet<>();
        for (Route route : Route.values()) {
            route.methods().forEach(m -> served.add(m + " " + route.path()));
        }
        Set<String> documented = new TreeSet<>();
        forEachOperation((where, op) -> documented.add(where));

        assertThat(documented).isEqualTo(served);
    }

    @Test
    void errorCodes_areExactlyTheOnesIsolaSends() {
        List<String> documented = new ArrayList<>();
        doc.at("/components/schemas/Error/properties/error/enum").forEach(code -> documented.add(code.asText()));

        assertThat(documented).containsExactlyInAnyOrder(Arrays.stream(ErrorCode.values()).map(ErrorCode::wireName)
                .toArray(String[]::new));
    }

    @Test
    void operations_requireBearerExactlyUnderSystem() {
        forEachOperation((where, op) -> {
            if (where.contains(" /system")) {
                assertThat(op.path("security").toString()).as(where).isEqualTo("[{\"bearer\":[]}]");
                assertThat(OpenApiSchemas.resolve(doc, op.path("responses").path("401")).at("/content/application~1json/schema/$ref")
                        .asText()).as(where).isEqualTo("#/components/schemas/Error");
            } else {
                assertThat(op.has("security")).as(where + " is public").isFalse();
            }
        });
        assertThat(doc.has("security")).as("no global security: every /system operation states its own").isFalse();
    }

    @Test
    void operations_haveUniqueIds() {
        List<String> ids = new ArrayList<>();
        forEachOperation((where, op) -> ids.add(op.path("operationId").asText()));

        assertThat(ids).doesNotContain("").doesNotHaveDuplicates();
    }

    @Test
    void errorResponses_carryTheErrorSchema() {
        forEachOperation((where, op) -> op.path("responses").properties().forEach(response -> {
            if (response.getKey().matches("[45]\\d\\d")) {
                JsonNode schema = OpenApiSchemas.resolve(doc, response.getValue()).at("/content/application~1json/schema");
                assertThat(schema.path("$ref").asText()).as("%s %s", where, response.getKey())
                        .isEqualTo("#/components/schemas/Error");
            }
        }));
    }

    @Test
    void internalReadinessCallback_isMarkedInternal() {
        operations(doc.at("/paths/~1_~1ready~1{instanceId}~1{nonce}")).values().forEach(op -> {
            assertThat(op.path("x-internal").asBoolean()).isTrue();
            assertThat(op.path("tags").toString()).isEqualTo("[\"internal\"]");
        });
    }

    @Test
    void references_allResolve() {
        Set<String> refs = new TreeSet<>();
        collectRefs(doc, refs);

        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(ref).as("only local references").startsWith("#/");
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as("%s resolves", ref).isFalse();
        }
    }

    @Test
    void objectSchemas_areClosed() {
        doc.at("/components/schemas").properties().forEach(schema -> {
            if (schema.getValue().path("type").asText().equals("object") && schema.getValue().has("properties")) {
                assertThat(schema.getValue().path("additionalProperties").isBoolean()
                        && !schema.getValue().path("additionalProperties").asBoolean())
                        .as("%s has additionalProperties: false", schema.getKey()).isTrue();
            }
        });
    }

    @Test
    void examples_satisfyTheirSchemas() {
        Set<String> checked = new HashSet<>();
        doc.at("/components/schemas").properties().forEach(schema -> {
            if (schema.getValue().has("example")) {
                List<String> problems = new ArrayList<>();
                OpenApiSchemas.validate(doc, schema.getValue().get("example"), schema.getValue(), schema.getKey(), problems);
                assertThat(problems).as("example of %s", schema.getKey()).isEmpty();
                checked.add(schema.getKey());
            }
        });
        assertThat(checked).contains("FunctionSummary", "FunctionDetail", "Instance", "Error", "Health");
    }

    private void forEachOperation(BiConsumer<String, JsonNode> action) {
        doc.path("paths").properties().forEach(path -> operations(path.getValue())
                .forEach((method, op) -> action.accept(method.toUpperCase() + " " + path.getKey(), op)));
    }

    private static Map<String, JsonNode> operations(JsonNode pathItem) {
        Map<String, JsonNode> ops = new LinkedHashMap<>();
        pathItem.properties().forEach(e -> {
            if (HTTP_METHODS.contains(e.getKey())) {
                ops.put(e.getKey(), e.getValue());
            }
        });
        return ops;
    }

    private static void collectRefs(JsonNode node, Set<String> refs) {
        if (node.has("$ref")) {
            refs.add(node.get("$ref").asText());
        }
        node.forEach(child -> collectRefs(child, refs));
    }

    private static JsonNode load() {
        try {
            return new YAMLMapper().readTree(Path.of("openapi.yaml").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
