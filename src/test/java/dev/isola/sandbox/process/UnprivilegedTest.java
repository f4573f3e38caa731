package dev.isola.sandbox.process;

import dev.isola.sandbox.spi.SandboxUids;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

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

    private static Unprivileged unprivileged(Path state) {
        return new Unprivileged(new SandboxUids(900_000, 16, "test"), state);
    }
}
