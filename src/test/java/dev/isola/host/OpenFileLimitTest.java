package dev.isola.host;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OpenFileLimitTest {
    private final long hard = OpenFileLimit.hard().orElseThrow();

    @Test
    void thisProcessesLimits_areRead_softWithinHard() {
        assertThat(OpenFileLimit.soft()).hasValueSatisfying(soft -> assertThat(soft).isPositive()
                .isLessThanOrEqualTo(hard));
    }

    @Test
    void aSandboxGets_oneFilePerConnectionAndHeadroom_atLeastTheFloor_neverAboveThisProcesssHardLimit() {
        assertThat(OpenFileLimit.forConcurrency(1)).isEqualTo(Math.min(OpenFileLimit.FLOOR, hard));
        assertThat(OpenFileLimit.forConcurrency(6000)).isEqualTo(Math.min(6000 + OpenFileLimit.HEADROOM, hard));
        assertThat(OpenFileLimit.forConcurrency(Integer.MAX_VALUE)).isEqualTo(hard);
    }
}
