package dev.isola.server;

import dev.isola.host.OpenFileLimit;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OpenFilesTest {
    @Test
    void theLimitOfThisProcess_isReadAndTurnedIntoRoomForInstances() {
        long limit = OpenFileLimit.soft().orElseThrow();

        assertThat(limit).isPositive();
        assertThat(OpenFiles.describeRoom()).hasValueSatisfying(s -> assertThat(s)
                .startsWith("open-file limit " + limit + ": room for about "
                        + Math.max(0, (limit - OpenFiles.PLATFORM_RESERVE) / OpenFiles.PER_INSTANCE) + " live instances"));
    }
}
