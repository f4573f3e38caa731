package dev.isola.sandbox.microvm;

import dev.isola.config.ConfigException;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AcceleratorTest {
    @Test
    void qemuArgs_tcgTakesTheTranslationCacheSize() {
        assertThat(Accelerator.TCG.qemuArgs(128)).containsSequence("-accel", "tcg,tb-size=128");
        assertThat(Accelerator.KVM.qemuArgs(128)).containsSequence("-accel", "kvm");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-5", "4097", "lots", "1.5"})
    void tbMib_outsideItsRange_failsNamingTheKey(String value, @TempDir Path state) {
        assertThatThrownBy(() -> TestHost.backend("microvm", state, Map.of("tbMib", value)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'sandbox.microvm.tbMib'")
                .hasMessageContaining(value);
    }

    @Test
    void anUnknownKey_failsNamingIt(@TempDir Path state) {
        assertThatThrownBy(() -> TestHost.backend("microvm", state, Map.of("tbmib", "32")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'sandbox.microvm.tbmib'");
    }

    @Test
    void generic_kernelGetsTscHintsOnlyUnderEmulation() {
        GuestKernel generic = new GuestKernel(GuestKernel.GENERIC, Path.of("/boot/x"), true, List.of(), "v");
        assertThat(generic.cmdline(Accelerator.TCG)).contains("tsc_early_khz=2000000");
        assertThat(generic.cmdline(Accelerator.KVM)).isEmpty();
    }
}
