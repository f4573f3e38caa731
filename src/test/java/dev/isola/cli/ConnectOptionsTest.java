package dev.isola.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ServerOptionsTest {
    private final FakeIsolaServer server = FakeIsolaServer.start();

    @TempDir
    Path stateDir;

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    @DisabledIfEnvironmentVariable(named = "ISOLA_TOKEN", matches = ".*", disabledReason = "the env token wins")
    void adminCommand_noTokenAnywhere_explainsTheThreeWaysAndSendsNothing() {
        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", server.url(), "--state-dir", stateDir.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("Error: No admin token: pass --token, set ISOLA_TOKEN, or run on the host "
                + "where the server's state dir " + stateDir + " holds admin-token\n");
        assertThat(server.requests()).isEmpty();
    }

    @Test
    @DisabledIfEnvironmentVariable(named = "ISOLA_TOKEN", matches = ".*", disabledReason = "the env token wins")
    void adminCommand_tokenFileInStateDir_isSentAsBearerWithoutTrailingNewline() throws IOException {
        Files.writeString(stateDir.resolve("admin-token"), "from-file-42\n");
        server.on("GET", "/system/functions", 200, "[]");

        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", server.url(), "--state-dir", stateDir.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(server.lastRequest().header("Authorization")).isEqualTo("Bearer from-file-42");
    }

    @ParameterizedTest
    @ValueSource(strings = {"two words", "line\nbreak"})
    void adminCommand_tokenThatCannotBeAHeader_isRejectedBeforeSending(String token) {
        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", server.url(), "--token", token);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("Error: The admin token from --token contains spaces or non-ASCII "
                + "characters.\n");
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void command_serverNotListening_suggestsStartingIt() throws IOException {
        String url = "http://127.0.0.1:" + closedPort();

        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", url, "--token", "t");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("Error: Cannot reach Isola at " + url
                + ": connection refused. Is `isola serve` running?\n");
    }

    @Test
    void command_urlWithTrailingSlash_isUsedWithoutDoubleSlash() {
        server.on("GET", "/system/functions", 200, "[]");

        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", server.url() + "/", "--token", "t");

        assertThat(result.exitCode()).isZero();
        assertThat(server.lastRequest().uri().getPath()).isEqualTo("/system/functions");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://127.0.0.1:8080", "127.0.0.1:8080", "http://", "http://host:8080/?q=1", "http://a b"})
    void command_invalidUrl_isUsageError(String url) {
        IsolaCli.Result result = IsolaCli.run("list", "--admin-url", url, "--token", "t");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("Invalid server URL '" + url + "': expected http://HOST:PORT");
    }

    /** A port nobody listens on: bind an ephemeral one and release it. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
