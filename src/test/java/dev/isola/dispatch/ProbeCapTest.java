package dev.isola.dispatch;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProbeCapTest {
    @Test
    void probeCap_isOneMillisecondAlone_andGrowsWithStartsInFlight_upToTwentyMilliseconds() {
        assertThat(SandboxLauncher.probeCapMicros(0)).isEqualTo(1_000);
        assertThat(SandboxLauncher.probeCapMicros(1)).isEqualTo(1_000);
        assertThat(SandboxLauncher.probeCapMicros(3)).isEqualTo(1_000);
        assertThat(SandboxLauncher.probeCapMicros(10)).isEqualTo(5_000);
        assertThat(SandboxLauncher.probeCapMicros(100)).isEqualTo(20_000);
    }
}
