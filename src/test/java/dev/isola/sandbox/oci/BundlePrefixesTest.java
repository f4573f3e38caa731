package dev.isola.sandbox.oci;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Which recorded bundles are this state directory's, when the runtime records physical paths. */
class BundlePrefixesTest {
    @TempDir
    Path dir;

    @Test
    void aStateDirectoryReachedThroughALink_matchesItsRealPathToo() throws IOException {
        Path disk = Files.createDirectories(dir.resolve("data-disk/isola"));
        Files.createDirectories(disk.resolve("run"));
        Path link = Files.createSymbolicLink(dir.resolve("var-lib-isola"), disk);

        assertThat(OciBackend.bundlePrefixes(link.resolve("run")))
                .containsExactly(link.resolve("run") + "/", disk.toRealPath().resolve("run") + "/");
        assertThat(OciBackend.bundlePrefixes(disk.resolve("run"))).as("no link: one prefix").hasSize(1);
        assertThat(OciBackend.bundlePrefixes(dir.resolve("none/run"))).as("no run/ yet")
                .containsExactly(dir.resolve("none/run") + "/");
    }
}
