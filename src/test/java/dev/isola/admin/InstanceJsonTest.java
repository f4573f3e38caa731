package dev.isola.admin;

import dev.isola.dispatch.InstanceState;
import dev.isola.dispatch.InstanceView;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Instant;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

class InstanceJsonTest {

    /** openapi.yaml: "Time from start to ready; absent while starting" (and a standby sandbox has not started). */
    @ParameterizedTest
    @EnumSource(InstanceState.class)
    void coldStartMillis_onlyOnceTheInstanceWasReady(InstanceState state) {
        InstanceView view = new InstanceView("hello.0123456789", "hello", 1, "runc", state, "10.0.0.2:8080",
                Instant.parse("2026-12-06T12:00:00Z"), 0, 0, 12.345, "cold", OptionalLong.empty());

        boolean everReady = state != InstanceState.STARTING && state != InstanceState.STANDBY;
        assertThat(AdminApi.instance(view).containsKey("coldStartMillis")).isEqualTo(everReady);
        if (everReady) {
            assertThat(AdminApi.instance(view)).containsEntry("coldStartMillis", 12.35);
        }
    }
}
