package dev.isola.sandbox.microvm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AcceleratorTest {
    @Test
    void tbMib_defaultsWhenUnset() {
        assertThat(Accelerator.tbMib(null)).isEqualTo(Accelerator.DEFAULT_TB_MIB);
        assertThat(Accelerator.tbMib(" ")).isEqualTo(Accelerator.DEFAULT_TB_MIB);
        assertThat(Accelerator.tbMib("128")).isEqualTo(128);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-5", "4097", "lots", "1.5"})
    void tbMib_rejectsValuesOutsideRangeNamingTheSetting(String value) {
        assertThatThrownBy(() -> Accelerator.tbMib(value)).hasMessageContaining("ISOLA_MICROVM_TB_MIB")
                .hasMessageContaining(value);
    }

    @Test
    void generic_kernelGetsTscHintsOnlyUnderEmulation() {
        GuestKernel generic = new GuestKernel(GuestKernel.GENERIC, java.nio.file.Path.of("/boot/x"), true,
                java.util.List.of(), "v");
        assertThat(generic.cmdline(Accelerator.TCG)).contains("tsc_early_khz=2000000");
        assertThat(generic.cmdline(Accelerator.KVM)).isEmpty();
    }
}
