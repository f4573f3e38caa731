package dev.isola.server;

import dev.isola.config.ConfigException;
import dev.isola.config.TrustPolicy;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.Instance;
import dev.isola.sandbox.spi.InstanceSpec;
import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;
import dev.isola.sandbox.spi.Sandboxes;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code auto} ranks backends by the isolation they give on this host (their providers' unless the backend reports
 * less here), among those that run well here.
 */
class BackendChoiceTest {
    static final Availability READY = new Availability.Ready("runs");
    private static final Availability SLOW = new Availability.Slow("runs", "software emulation");
    private static final Availability MISSING = new Availability.Unavailable("not installed");
    private static final TrustPolicy ANY = TrustPolicy.permissive();

    @Test
    void auto_takesTheStrongestIsolationThatRunsWell_andAmongEqualsTheFirstListed() {
        Sandboxes host = sandboxes(fake("process", Isolation.NONE, READY), fake("runc", Isolation.CONTAINER, READY),
                fake("crun", Isolation.CONTAINER, READY), fake("runsc", Isolation.USER_SPACE_KERNEL, MISSING),
                fake("microvm", Isolation.VIRTUAL_MACHINE, SLOW));

        assertThat(BackendChoice.resolve("auto", host, ANY)).isEqualTo("runc");
    }

    @Test
    void auto_ranksByTheIsolationGivenHere_notTheDeclaredOne() {
        Sandboxes host = sandboxes(fake("process", Isolation.NONE, READY),
                fake("microvm", Isolation.VIRTUAL_MACHINE, READY, Optional.of(Isolation.NONE)),
                fake("runc", Isolation.CONTAINER, READY));

        assertThat(BackendChoice.resolve("auto", host, ANY)).isEqualTo("runc");
        Sandboxes.Entry microvm = host.entries().stream().filter(e -> e.type().equals("microvm")).findFirst()
                .orElseThrow();
        assertThat(microvm.declared()).isEqualTo(Isolation.VIRTUAL_MACHINE);
        assertThat(microvm.isolation()).isEqualTo(Isolation.NONE);
    }

    @Test
    void aReportedIsolationAboveTheDeclaredOne_isIgnored() {
        Sandboxes host = sandboxes(fake("runc", Isolation.CONTAINER, READY, Optional.of(Isolation.VIRTUAL_MACHINE)));

        assertThat(host.entries().iterator().next().isolation()).isEqualTo(Isolation.CONTAINER);
    }

    @Test
    void anExplicitBackend_mayBeSlow_butMustRunAndExist() {
        Sandboxes host = sandboxes(fake("process", Isolation.NONE, READY),
                fake("microvm", Isolation.VIRTUAL_MACHINE, SLOW), fake("runsc", Isolation.USER_SPACE_KERNEL, MISSING));

        assertThat(BackendChoice.resolve("microvm", host, ANY)).isEqualTo("microvm");
        assertThatThrownBy(() -> BackendChoice.resolve("runsc", host, ANY)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("not installed");
        assertThatThrownBy(() -> BackendChoice.resolve("firecracker", host, ANY)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'firecracker'");
    }

    @Test
    void auto_withNothingThatRuns_failsPointingAtDoctor() {
        Sandboxes host = sandboxes(fake("runc", Isolation.CONTAINER, MISSING));

        assertThatThrownBy(() -> BackendChoice.resolve("auto", host, ANY)).hasMessageContaining("isola doctor");
    }

    @Test
    void onlyBackendsAtOrAboveTheFloor_canBeTheDefault() {
        Sandboxes host = sandboxes(fake("process", Isolation.NONE, READY), fake("runc", Isolation.CONTAINER, MISSING));
        TrustPolicy floor = new TrustPolicy("container", false, List.of());
        Sandboxes serving = host.atLeast(Isolation.CONTAINER);

        assertThatThrownBy(() -> BackendChoice.resolve("process", serving, floor))
                .hasMessageContaining("isolation floor 'container'");
        assertThatThrownBy(() -> BackendChoice.resolve("auto", serving, floor))
                .hasMessageContaining("isolation floor 'container'");
        assertThat(BackendChoice.resolve("auto", host, ANY)).isEqualTo("process");
    }

    static Sandboxes sandboxes(SandboxProvider... providers) {
        return Sandboxes.create(List.of(providers), p -> null);
    }

    static SandboxProvider fake(String type, Isolation isolation, Availability availability) {
        return fake(type, isolation, availability, Optional.empty());
    }

    private static SandboxProvider fake(String type, Isolation isolation, Availability availability,
                                        Optional<Isolation> reduced) {
        return new SandboxProvider() {
            @Override
            public String type() {
                return type;
            }

            @Override
            public Isolation isolation() {
                return isolation;
            }

            @Override
            public SandboxBackend create(SandboxContext context) {
                return new SandboxBackend() {
                    @Override
                    public Availability probe() {
                        return availability;
                    }

                    @Override
                    public Optional<Isolation> reducedIsolation() {
                        return reduced;
                    }

                    @Override
                    public Instance start(InstanceSpec spec) {
                        throw new UnsupportedOperationException("a fake backend starts nothing");
                    }
                };
            }
        };
    }
}
