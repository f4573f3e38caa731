package dev.isola.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class FileTreesTest {
    @TempDir
    Path dir;

    @Test
    void deleteRecursively_removesTheTree_andNeverFollowsALinkOutOfIt() throws IOException {
        Path outside = Files.writeString(Files.createDirectories(dir.resolve("outside")).resolve("keep"), "x");
        Path tree = Files.createDirectories(dir.resolve("tree/a/b"));
        Files.writeString(tree.resolve("f"), "y");
        Files.createSymbolicLink(dir.resolve("tree/link"), outside.getParent());

        FileTrees.deleteRecursively(dir.resolve("tree"));

        assertThat(dir.resolve("tree")).doesNotExist();
        assertThat(outside).hasContent("x");
    }

    @Test
    void deleteChildren_keepsTheDirectory() throws IOException {
        Files.createDirectories(dir.resolve("run/i1/tmp"));
        Files.writeString(dir.resolve("run/file"), "z");

        FileTrees.deleteChildren(dir.resolve("run"));

        assertThat(dir.resolve("run")).isEmptyDirectory();
    }

    @Test
    void deletingWhatIsAbsent_isFine() {
        assertThat(FileTrees.deleteQuietly(dir.resolve("nothing"))).isTrue();
        FileTrees.deleteChildren(dir.resolve("nothing"));
    }
}
