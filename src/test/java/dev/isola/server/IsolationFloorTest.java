package dev.isola.server;

import dev.isola.config.TrustPolicy;
import dev.isola.function.FunctionName;
import dev.isola.function.InvalidFunctionException;
import dev.isola.function.Limits;
import dev.isola.function.Manifest;
import dev.isola.function.Runtime;
import dev.isola.function.Scaling;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.Sandboxes;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.isola.server.BackendChoiceTest.READY;
import static dev.isola.server.BackendChoiceTest.fake;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The operator's floor and egress switch decide what a manifest may ask for, not the manifest. */
class IsolationFloorTest {
    private static final Sandboxes HOST = BackendChoiceTest.sandboxes(fake("process", Isolation.NONE, READY),
            fake("runc", Isolation.CONTAINER, READY), fake("runsc", Isolation.USER_SPACE_KERNEL, READY),
            fake("microvm", Isolation.VIRTUAL_MACHINE, READY),
            fake("crun", Isolation.CONTAINER, new Availability.Unavailable("crun is not installed (apt-get install crun)")));

    @Test
    void aBackendBelowTheFloor_isRefusedNamingTheFloor() {
        IsolationFloor floor = new IsolationFloor(new TrustPolicy("container", false, List.of()), HOST, "runc");

        assertThatThrownBy(() -> floor.check(manifest(Optional.of("process"), false)))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo("not_permitted"))
                .hasMessageContaining("isolation floor 'container'").hasMessageContaining("'process'");
        assertThatCode(() -> floor.check(manifest(Optional.of("runc"), false))).doesNotThrowAnyException();
        assertThatCode(() -> floor.check(manifest(Optional.empty(), false))).doesNotThrowAnyException();
    }

    @Test
    void theFloorIsOrdered_noneContainerSandboxVm() {
        IsolationFloor sandbox = new IsolationFloor(new TrustPolicy("sandbox", false, List.of()), HOST, "runsc");

        assertThatThrownBy(() -> sandbox.check(manifest(Optional.of("runc"), false)))
                .hasMessageContaining("'container'");
        assertThatCode(() -> sandbox.check(manifest(Optional.of("runsc"), false))).doesNotThrowAnyException();
        assertThatCode(() -> sandbox.check(manifest(Optional.of("microvm"), false))).doesNotThrowAnyException();
    }

    @Test
    void egress_isHonouredOnlyWhereTheOperatorAllowsIt() {
        IsolationFloor off = new IsolationFloor(new TrustPolicy("none", false, List.of()), HOST, "process");
        IsolationFloor on = new IsolationFloor(new TrustPolicy("none", true, List.of()), HOST, "process");

        assertThatThrownBy(() -> off.check(manifest(Optional.empty(), true))).hasMessageContaining("allowEgress");
        assertThatCode(() -> on.check(manifest(Optional.empty(), true))).doesNotThrowAnyException();
    }

    @Test
    void anUnknownBackend_isAnInvalidManifest() {
        IsolationFloor floor = new IsolationFloor(TrustPolicy.permissive(), HOST, "process");

        assertThatThrownBy(() -> floor.check(manifest(Optional.of("firecracker"), false)))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo("invalid_manifest"));
    }

    @Test
    void aBackendThisHostCannotRun_isRefusedWithTheReason() {
        IsolationFloor floor = new IsolationFloor(TrustPolicy.permissive(), HOST, "process");

        assertThatThrownBy(() -> floor.check(manifest(Optional.of("crun"), false)))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo("invalid_manifest"))
                .hasMessageContaining("backend 'crun' cannot run on this host: crun is not installed");
    }

    @Test
    void standby_onABackendThatKeepsNone_isAnInvalidManifest() {
        IsolationFloor floor = new IsolationFloor(TrustPolicy.permissive(), HOST, "process");
        Manifest withStandby = new Manifest(FunctionName.of("fn"), Runtime.GO, ".", Map.of(), Optional.of("microvm"),
                Optional.empty(), false, Limits.DEFAULT,
                new Scaling(100, 0, 8, Duration.ofMinutes(5), false, 2, true));

        assertThatThrownBy(() -> floor.check(withStandby))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo("invalid_manifest"))
                .hasMessageContaining("scaling.standby: backend 'microvm' keeps no sandboxes on standby");
    }

    private static Manifest manifest(Optional<String> backend, boolean egress) {
        return new Manifest(FunctionName.of("fn"), Runtime.GO, ".", Map.of(), backend, Optional.empty(), egress,
                Limits.DEFAULT, Scaling.DEFAULT);
    }
}
