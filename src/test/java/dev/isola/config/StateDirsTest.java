package dev.isola.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StateDirsTest {
    @ParameterizedTest(name = "ISOLA_STATE_DIR={0}, user={1} -> {2}")
    @CsvSource({
            "/srv/isola, root,  /srv/isola",
            "/srv/isola, alice, /srv/isola",
            "'',         root,  /var/lib/isola",
            "'  ',       root,  /var/lib/isola",
            "'',         alice, /home/alice/.local/share/isola",
    })
    void defaultStateDir_envThenRootThenHome(String env, String user, String expected) {
        Path dir = StateDirs.defaultStateDir(Map.of("ISOLA_STATE_DIR", env), user, Path.of("/home/alice"));

        assertThat(dir).isEqualTo(Path.of(expected));
    }

    @Test
    void adminTokenFile_isInStateDir() {
        assertThat(StateDirs.adminTokenFile(Path.of("/var/lib/isola"))).isEqualTo(Path.of("/var/lib/isola/admin-token"));
    }
}
