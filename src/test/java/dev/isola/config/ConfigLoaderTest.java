package dev.isola.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void defaults_whenNothingIsSet() {
        IsolaConfig c = ConfigLoader.load(Optional.empty(), Map.of());
        assertThat(c).isEqualTo(IsolaConfig.defaults());
        assertThat(c.gatewaySpinMicros()).isEqualTo(IsolaConfig.defaultSpinMicros(
                Runtime.getRuntime().availableProcessors()));
        assertThat(IsolaConfig.defaultSpinMicros(2)).as("no core spare to poll on").isZero();
        assertThat(IsolaConfig.defaultSpinMicros(8)).isEqualTo(100);
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

    @Test
    void sandboxSections_comeFromTheFile_andTheEnvironmentOverridesThem() throws Exception {
        Path file = Files.writeString(dir.resolve("isola.yaml"),
                "sandbox:\n  runsc: {platform: systrap}\n  microvm: {tbMib: 64}\n");
        IsolaConfig c = ConfigLoader.load(Optional.of(file), Map.of("ISOLA_SANDBOX_MICROVM_TB_MIB", "128"));

        assertThat(c.sandbox("runsc").string("platform")).hasValue("systrap");
        assertThat(c.sandbox("microvm").integer("tbMib", 1, 4096, 32)).isEqualTo(128);
        assertThat(c.sandbox("crun").values()).isEmpty();
    }

    @Test
    void theOlderVariableNames_stillReachTheirSections() {
        IsolaConfig c = ConfigLoader.load(Optional.empty(), Map.of("ISOLA_RUNSC_PLATFORM", "kvm",
                "ISOLA_MICROVM_TB_MIB", "16"));

        assertThat(c.sandbox("runsc").string("platform")).hasValue("kvm");
        assertThat(c.sandbox("microvm").string("tbMib")).hasValue("16");
    }

    @Test
    void aSectionsBadValue_namesTheKeyInFull() {
        Section section = new Section("sandbox.runsc", Map.of("platform", "hyperdrive"));

        assertThatThrownBy(() -> section.oneOf("platform", Set.of("ptrace", "kvm"), "ptrace"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'sandbox.runsc.platform'")
                .hasMessageContaining("hyperdrive");
        section.allowOnly(Set.of("platform"));
        assertThatThrownBy(() -> new Section("sandbox.runsc", Map.of("platfrom", "kvm")).allowOnly(Set.of("platform")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key 'sandbox.runsc.platfrom'");
    }

    @Test
    void startAdmissionSpareNetworksBuildCacheAndDrain_areReadAndChecked() {
        IsolaConfig c = ConfigLoader.load(Optional.empty(), Map.of("ISOLA_START_ADMISSION", "off",
                "ISOLA_SPARE_NETWORKS", "0", "ISOLA_BUILD_CACHE", "/tmp/isola-cache", "ISOLA_DRAIN_TIMEOUT", "5s"));

        assertThat(c.startAdmission()).isEqualTo("off");
        assertThat(c.spareNetworks()).isZero();
        assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(IsolaConfig.defaults().drainTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.cacheDir()).isEqualTo(Path.of("/tmp/isola-cache"));
        assertThat(IsolaConfig.defaults().cacheDir()).isEqualTo(IsolaConfig.defaults().stateDir().resolve("cache"));
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_START_ADMISSION", "fifo")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'startAdmission'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_SPARE_NETWORKS", "100000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'spareNetworks'");
    }

    @Test
    void camelCase_turnsEnvironmentWordsIntoAKey() {
        assertThat(ConfigLoader.camelCase("TB_MIB")).isEqualTo("tbMib");
        assertThat(ConfigLoader.camelCase("UID_BASE")).isEqualTo("uidBase");
        assertThat(ConfigLoader.camelCase("PLATFORM")).isEqualTo("platform");
    }
}
