package dev.isola.sandbox.process;

import dev.isola.host.Command;
import dev.isola.host.Executables;
import dev.isola.sandbox.spi.SandboxUids;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The instances' uids reach their artefact copies beside the state directory only if every directory above is
 * searchable by others; a state directory inside a 0700 {@code mktemp -d} made every Node.js instance fail with
 * "Cannot find module" at its first call. The backend now names the closed directory instead.
 */
class UnprivilegedTest {
    @TempDir
    Path tmp;

    @Test
    void closedAncestor_namesTheFirstDirectoryOthersCannotSearch() throws Exception {
        Path closed = Files.createDirectory(tmp.resolve("closed"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        Path state = closed.resolve("state");

        assertThat(unprivileged(state).closedAncestor()).contains(closed);
    }

    @Test
    void closedAncestor_isEmptyWhenEveryParentIsSearchable() throws Exception {
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        // The state directory itself may stay private: the copies are its sibling, not inside it.
        Path state = Files.createDirectory(open.resolve("state"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));

        assertThat(unprivileged(state).closedAncestor()).isEmpty();
    }

    @Test
    void command_keepsTheFunctionsLoaderVariablesFromTheRootHelpers_andSetsThemAfterTheDrop() {
        Unprivileged.Run run = new Unprivileged.Run(900_003, tmp, tmp);
        Command command = unprivileged(tmp.resolve("state")).command(run, List.of("/srv/fn/app", "-v"), 1024,
                Map.of("PATH", "/usr/bin:/bin", "PORT", "8080"),
                Map.of("LD_PRELOAD", "./x.so", "PATH", ".:/usr/bin", "MALLOC_CHECK_", "3", "GREETING", "hi"));

        assertThat(command.environment().orElseThrow()).as("what prlimit and setpriv, as root, see")
                .containsEntry("PATH", "/usr/bin:/bin").containsEntry("GREETING", "hi").containsEntry("PORT", "8080")
                .doesNotContainKeys("LD_PRELOAD", "MALLOC_CHECK_");
        List<String> argv = command.argv();
        assertThat(Path.of(argv.getFirst())).as("found by the platform, not by a PATH").isAbsolute()
                .hasFileName("prlimit");
        int drop = argv.lastIndexOf("--");
        assertThat(argv.subList(drop + 1, argv.size())).as("after setpriv: the function's own, then its program")
                .containsExactly(Executables.fromPath(Optional.empty()).require("env").toString(), "LD_PRELOAD=./x.so",
                        "MALLOC_CHECK_=3", "PATH=.:/usr/bin", "/srv/fn/app", "-v");
        assertThat(unprivileged(tmp.resolve("state")).command(run, List.of("/srv/fn/app"), 1024, Map.of(),
                Map.of("GREETING", "hi")).argv()).as("no env when nothing waits for the drop").endsWith("--",
                "/srv/fn/app");
    }

    private static Unprivileged unprivileged(Path state) {
        return new Unprivileged(new SandboxUids(900_000, 16, "test"), state, TestHost.runner());
    }
}
