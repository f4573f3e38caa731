package dev.isola.function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The module path handler mode reads from an uploaded go.mod, on the control plane: bounded in size and time. */
class GoModuleLineTest {
    @TempDir
    Path dir;

    @Test
    void moduleLine_isFound_withCrlfAndAComment() throws IOException {
        Path goMod = write("// generated\r\n\r\n  module \"example.com/thing\" // the module\r\n\r\ngo 1.19\r\n");
        assertThat(GoHandlerMain.modulePath(goMod)).isEqualTo("example.com/thing");
    }

    @Test
    @Timeout(10)
    void blankLinesWithoutAModuleLine_failInLinearTime() throws IOException {
        // A pattern over the whole file backtracked over every remaining line from each line: hours at 1 MiB.
        Path goMod = write("\n".repeat(GoHandlerMain.MAX_GO_MOD_BYTES));
        assertThatThrownBy(() -> GoHandlerMain.modulePath(goMod)).isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("no module line");
    }

    @Test
    void oversizedGoMod_isRefused() throws IOException {
        Path goMod = write("module fn\n" + " ".repeat(GoHandlerMain.MAX_GO_MOD_BYTES));
        assertThatThrownBy(() -> GoHandlerMain.modulePath(goMod)).isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("larger than " + GoHandlerMain.MAX_GO_MOD_BYTES);
    }

    @Test
    void goModThatIsADirectory_isABuildFailure() throws IOException {
        Path goMod = Files.createDirectory(dir.resolve("go.mod"));
        assertThatThrownBy(() -> GoHandlerMain.modulePath(goMod)).isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("not a regular file");
    }

    private Path write(String text) throws IOException {
        return Files.writeString(dir.resolve("go.mod"), text);
    }
}
