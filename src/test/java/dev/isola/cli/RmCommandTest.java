package dev.isola.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RmCommandTest {
    private final FakeIsolaServer server = FakeIsolaServer.start();

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void rm_deployedFunction_deletesAndConfirms() {
        server.on("DELETE", "/system/functions/hello", 204, "");

        IsolaCli.Result result = IsolaCli.run("rm", "hello", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("Removed hello\n");
        assertThat(server.lastRequest().method()).isEqualTo("DELETE");
        assertThat(server.lastRequest().header("Authorization")).isEqualTo("Bearer t");
    }

    @Test
    void rm_unknownFunction_printsServerMessageAndExits1() {
        server.on("DELETE", "/system/functions/nope", 404,
                "{\"error\":\"function_not_found\",\"message\":\"Function 'nope' is not deployed\"}");

        IsolaCli.Result result = IsolaCli.run("rm", "nope", "--admin-url", server.url(), "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEqualTo("Error (HTTP 404 function_not_found): Function 'nope' is not deployed\n");
    }
}
