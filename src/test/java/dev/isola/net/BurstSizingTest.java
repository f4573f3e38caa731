package dev.isola.net;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BurstSizingTest {
    private static final long QUIET = 200;
    private final BurstSizing sizing = new BurstSizing(16, 128, QUIET);
    private long now = 1_000;

    private void burst(int takes) {
        now += 10 * QUIET;
        for (int i = 0; i < takes; i++) {
            sizing.took(now);
            now += 5;
        }
    }

    @Test
    void keepsTheFloor_untilTwiceABurstIsMore() {
        assertThat(sizing.target()).isEqualTo(16);
        burst(8);
        assertThat(sizing.target()).isEqualTo(16);
        burst(10);
        assertThat(sizing.target()).isEqualTo(20);
        burst(50);
        assertThat(sizing.target()).isEqualTo(100);
    }

    @Test
    void growsWhileABurstIsUnderWay_upToTheCeiling() {
        burst(40);
        assertThat(sizing.target()).isEqualTo(80);
        burst(65);
        assertThat(sizing.target()).isEqualTo(128);
    }

    @Test
    void shrinksOnceTheLargeBurstIsNoLongerAmongTheRecentOnes() {
        burst(60);
        for (int i = 0; i < BurstSizing.REMEMBERED - 1; i++) {
            burst(20);
        }
        assertThat(sizing.target()).as("the 60 is still remembered").isEqualTo(120);
        burst(20);
        assertThat(sizing.target()).isEqualTo(40);
    }

    @Test
    void takesCloserThanTheQuietPeriod_areOneBurst() {
        for (int i = 0; i < 30; i++) {
            sizing.took(now);
            now += QUIET - 1;
        }
        assertThat(sizing.target()).isEqualTo(60);
    }

    @Test
    void aFloorOfZero_growsWithBurstsToo() {
        BurstSizing off = new BurstSizing(0, 0, QUIET);
        off.took(now);
        assertThat(off.target()).isZero();
    }
}
