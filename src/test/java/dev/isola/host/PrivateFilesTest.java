package dev.isola.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class PrivateFilesTest {
    @Test
    void ensure_createsAMissingFileOwnerOnly_andNarrowsAnExistingOne(@TempDir Path dir) throws IOException {
        Path created = dir.resolve("new.db");
        PrivateFiles.ensure(created);
        Path older = Files.writeString(dir.resolve("old.db"), "kept");
        Files.setPosixFilePermissions(older, PosixFilePermissions.fromString("rw-rw-r--"));
        PrivateFiles.ensure(older);

        assertThat(Files.getPosixFilePermissions(created)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(older)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(older)).isEqualTo("kept");
    }

    @Test
    void output_createsOwnerOnly_truncatesByDefault_andAppendsWhenAsked(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        try (OutputStream out = PrivateFiles.output(file)) {
            out.write("first, longer".getBytes());
        }
        try (OutputStream out = PrivateFiles.output(file)) {
            out.write("second".getBytes());
        }
        try (OutputStream out = PrivateFiles.output(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            out.write("+".getBytes());
        }

        assertThat(Files.readString(file)).isEqualTo("second+");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }
}
