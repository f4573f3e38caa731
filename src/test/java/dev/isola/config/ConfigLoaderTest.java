package dev.isola.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void defaults_whenNothingIsSet() {
        IsolaConfig c = ConfigLoader.load(Optional.empty(), Map.of());
        assertThat(c).isEqualTo(IsolaConfig.defaults());
        assertThat(c.gatewaySpinMicros()).isEqualTo(100);
    }

    @Test
    void theEnvironmentOverridesTheFile() throws Exception {
        Path file = Files.writeString(dir.resolve("isola.yaml"),
                "port: 9000\ngatewaySpinMicros: 0\nstartTimeout: 250ms\nqueueLimit: 7\n");
        IsolaConfig c = ConfigLoader.load(Optional.of(file), Map.of("ISOLA_PORT", "9100"));
        assertThat(c.port()).isEqualTo(9100);
        assertThat(c.gatewaySpinMicros()).isZero();
        assertThat(c.startTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.queueLimit()).isEqualTo(7);
    }

    @Test
    void anUnknownKey_isNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("isola.yaml"), "gatewaySpin: 5\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(file), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key 'gatewaySpin'");
    }

    @Test
    void aBadValue_namesItsKey() {
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_GATEWAY_SPIN_MICROS", "lots")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'gatewaySpinMicros' cannot be 'lots'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_GATEWAY_SPIN_MICROS", "20000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'gatewaySpinMicros' must be between");
    }
}
