package dev.isola.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class IsolaCommandTest {
    @Test
    void help_listsEverySubcommandAndExitCodes() {
        IsolaCli.Result result = IsolaCli.run("--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("serve", "up", "doctor", "deploy", "invoke", "list", "describe", "rm",
                "logs", "help", "Exit codes:", "2   Usage error");
    }

    @ParameterizedTest
    @ValueSource(strings = {"serve", "up", "doctor", "deploy", "invoke", "list", "describe", "rm", "logs"})
    void subcommand_help_printsUsageAndExits0(String subcommand) {
        IsolaCli.Result result = IsolaCli.run(subcommand, "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("Usage: isola " + subcommand);
    }

    @ParameterizedTest
    @ValueSource(strings = {"deploy", "list", "describe", "rm", "logs", "invoke"})
    void clientSubcommand_help_documentsServerOptions(String subcommand) {
        IsolaCli.Result result = IsolaCli.run(subcommand, "--help");

        assertThat(result.out()).contains("--url=URL", "--token=TOKEN", "--state-dir=DIR", "ISOLA_URL");
    }

    @Test
    void noSubcommand_isUsageError() {
        IsolaCli.Result result = IsolaCli.run();

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Missing subcommand", "Usage: isola");
    }

    @Test
    void unknownSubcommand_isUsageError() {
        IsolaCli.Result result = IsolaCli.run("deplyo");

        assertThat(result.exitCode()).isEqualTo(2);
    }

    @Test
    void missingArgument_isUsageError() {
        IsolaCli.Result result = IsolaCli.run("describe");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Missing required parameter: 'NAME'");
    }

    @Test
    void version_printsVersion() {
        IsolaCli.Result result = IsolaCli.run("--version");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("isola ");
    }
}
