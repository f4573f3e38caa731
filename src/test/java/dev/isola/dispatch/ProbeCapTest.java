package dev.isola.dispatch;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProbeCapTest {
    @Test
    void probeCap_isOneMillisecondAlone_andGrowsWithStartsInFlight_upToTwentyMilliseconds() {
        assertThat(SandboxLauncher.probeCapMicros(0, 0)).isEqualTo(1_000);
        assertThat(SandboxLauncher.probeCapMicros(1, 0)).isEqualTo(1_000);
        assertThat(SandboxLauncher.probeCapMicros(3, 0)).isEqualTo(1_000);
        assertThat(SandboxLauncher.probeCapMicros(10, 0)).isEqualTo(5_000);
        assertThat(SandboxLauncher.probeCapMicros(100, 0)).isEqualTo(20_000);
    }

    @Test
    void probeCap_growsWithTheTimeWaited_aTwentiethOfIt_upToTwentyMilliseconds() {
        assertThat(SandboxLauncher.probeCapMicros(1, 10_000)).as("10 ms waited").isEqualTo(1_000);
        assertThat(SandboxLauncher.probeCapMicros(1, 200_000)).as("200 ms waited").isEqualTo(10_000);
        assertThat(SandboxLauncher.probeCapMicros(10, 60_000)).as("the larger of both").isEqualTo(5_000);
        assertThat(SandboxLauncher.probeCapMicros(1, 5_000_000)).isEqualTo(20_000);
    }
}
