package dev.isola.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ListCommandTest {
    private static final String TWO_FUNCTIONS = "[" + ApiExamples.json("FunctionSummary") + ","
            + "{\"name\":\"matrix-multiply\",\"version\":12,\"runtime\":\"node\",\"backend\":\"microvm\","
            + "\"deployedAt\":\"2026-11-25T09:30:00Z\",\"instances\":0}]";

    private final FakeIsolaServer server = FakeIsolaServer.start();

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void list_functions_printsAlignedTable() {
        server.on("GET", "/system/functions", 200, TWO_FUNCTIONS);

        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("""
                NAME              VERSION   RUNTIME   BACKEND   INSTANCES   DEPLOYED
                hello             3         go        process   1           2026-11-26T18:00:00Z
                matrix-multiply   12        node      microvm   0           2026-11-25T09:30:00Z
                """);
        assertThat(server.lastRequest().header("Authorization")).isEqualTo("Bearer t");
    }

    @Test
    void list_json_printsServerJsonUnchanged() {
        server.on("GET", "/system/functions", 200, TWO_FUNCTIONS);

        IsolaCli.Result result = IsolaCli.run("list", "--json", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo(TWO_FUNCTIONS + "\n");
    }

    @Test
    void list_noFunctions_saysSoOnStderr() {
        server.on("GET", "/system/functions", 200, "[]");

        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEqualTo("No functions deployed.\n");
    }

    @Test
    void list_wrongToken_explainsWhereTokensComeFrom() {
        server.on("GET", "/system/functions", 401, "{\"error\":\"unauthorized\",\"message\":\"Wrong admin token\"}");

        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", server.url(), "--token", "wrong");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("""
                Error (HTTP 401 unauthorized): Wrong admin token
                Check the admin token: --token, ISOLA_TOKEN, or the admin-token file in the server's state dir.
                """);
    }

    @Test
    void list_serverIsNotIsola_saysSo() {
        server.on("GET", "/system/functions", 200, "text/html", "<html>hi</html>".getBytes(StandardCharsets.UTF_8), Map.of());

        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("sent something that is not JSON; is it an Isola server?");
    }

    @Test
    void list_errorWithoutIsolaBody_quotesWhatTheServerSaid() {
        server.on("GET", "/system/functions", 502, "text/html", "<h1>Bad Gateway</h1>".getBytes(StandardCharsets.UTF_8), Map.of());

        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("Error (HTTP 502 unexpected_response): The server at " + server.url()
                + " answered without an Isola error body: \"<h1>Bad Gateway</h1>\"\n");
    }
}
