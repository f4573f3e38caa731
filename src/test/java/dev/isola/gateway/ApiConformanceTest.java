package dev.isola.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.OpenApiSchemas;
import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The live server's JSON, held to the schemas of the checked-in openapi.yaml. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiConformanceTest {
    private final JsonNode doc = OpenApiSchemas.document();
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("process");

    private TestIsola isola;

    @BeforeAll
    void start() {
        isola = SERVER.isola();
        HttpResponse<String> deployed = isola.deploy("conform", TestIsola.FUNCTIONS.resolve("node-probe"),
                "name: conform\nruntime: node\nentry: index.js\nenv: {A: b}\nbackend: process\n");
        assertThat(deployed.statusCode()).isEqualTo(201);
        assertConforms(deployed, "FunctionDetail");
        isola.get("/function/conform/");
    }

    private void assertConforms(HttpResponse<String> response, String schema) {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/json"));
        assertThat(OpenApiSchemas.problems(doc, TestIsola.json(response), schema)).as(response.body()).isEmpty();
    }

    private HttpResponse<String> admin(String path) {
        return isola.admin(HttpRequest.newBuilder(isola.uri(path)));
    }

    @Test
    void describe_conformsToFunctionDetail() {
        HttpResponse<String> r = admin("/system/functions/conform");
        assertConforms(r, "FunctionDetail");
        assertThat(TestIsola.json(r).get("instances")).isNotEmpty();
    }

    @Test
    void list_conformsToFunctionSummaryArray() {
        JsonNode list = TestIsola.json(admin("/system/functions"));
        assertThat(list).isNotEmpty();
        list.forEach(item -> assertThat(OpenApiSchemas.problems(doc, item, "FunctionSummary")).isEmpty());
    }

    @Test
    void instances_conformToInstanceArray() {
        JsonNode list = TestIsola.json(admin("/system/instances"));
        assertThat(list).isNotEmpty();
        list.forEach(item -> assertThat(OpenApiSchemas.problems(doc, item, "Instance")).isEmpty());
    }

    @Test
    void health_conforms() {
        assertConforms(isola.get("/healthz"), "Health");
    }

    @Test
    void errors_conformToError() {
        assertConforms(isola.get("/function/missing/"), "Error");
        assertConforms(isola.get("/system/functions"), "Error");
        assertConforms(admin("/system/functions/missing"), "Error");
        assertConforms(isola.get("/nowhere"), "Error");
    }
}
