package dev.isola.host;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExecutablesTest {
    @Test
    void find_looksInThePathInOrder_andRequireNamesWhatIsMissing() {
        Executables path = Executables.fromPath(Optional.of("/nonexistent:/usr/bin:/bin"));

        assertThat(path.find("sh")).isPresent();
        assertThat(path.has("no-such-program-here")).isFalse();
        assertThatThrownBy(() -> path.require("no-such-program-here")).isInstanceOf(HostException.class)
                .hasMessageContaining("no-such-program-here").hasMessageContaining("/nonexistent:/usr/bin:/bin");
    }

    @Test
    void anEmptyPath_fallsBackToTheUsualDirectories() {
        assertThat(Executables.fromPath(Optional.of(" ")).directories()).contains(Path.of("/usr/bin"));
    }

    @Test
    void anAbsoluteName_isThatFile() {
        assertThat(Executables.fromPath(Optional.empty()).find("/bin/sh")).hasValue(Path.of("/bin/sh"));
    }
}
