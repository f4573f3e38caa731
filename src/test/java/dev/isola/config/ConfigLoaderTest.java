package dev.isola.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void defaults_whenNothingIsSet() {
        IsolaConfig c = ConfigLoader.load(Optional.empty(), Map.of());
        assertThat(c).isEqualTo(IsolaConfig.defaults());
        assertThat(c.gatewaySpinMicros()).isEqualTo(IsolaConfig.defaultSpinMicros(
                Runtime.getRuntime().availableProcessors()));
        assertThat(IsolaConfig.defaultSpinMicros(2)).as("no core spare to poll on").isZero();
        assertThat(IsolaConfig.defaultSpinMicros(8)).isEqualTo(100);
    }

    @Test
    void theEnvironmentOverridesTheFile() throws Exception {
        Path file = Files.writeString(dir.resolve("isola.yaml"),
                "port: 9000\ngatewaySpinMicros: 0\nstartTimeout: 250ms\nqueueLimit: 7\ngatewayTransport: nio\n");
        IsolaConfig c = ConfigLoader.load(Optional.of(file), Map.of("ISOLA_PORT", "9100",
                "ISOLA_GATEWAY_TRANSPORT", "epoll"));
        assertThat(c.port()).isEqualTo(9100);
        assertThat(c.gatewayTransport()).isEqualTo("epoll");
        assertThat(c.gatewaySpinMicros()).isZero();
        assertThat(c.startTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.queueLimit()).isEqualTo(7);
    }

    /** systemd starts the server in /, so a relative path in the file means beside the file, not beside the start. */
    @Test
    void relativePathsInTheFile_areBesideTheFile_andAStateDirOfTheHostsIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("isola.yaml"), "stateDir: state\nbuildCache: ../cache\n");
        IsolaConfig c = ConfigLoader.load(Optional.of(file), Map.of());
        assertThat(c.stateDir()).isEqualTo(dir.resolve("state"));
        assertThat(c.cacheDir()).isEqualTo(dir.getParent().resolve("cache"));
        assertThat(ConfigLoader.load(Optional.empty(), Map.of("ISOLA_STATE_DIR", "rel")).stateDir())
                .isEqualTo(Path.of("rel").toAbsolutePath());

        for (String system : List.of("/", "/run", "/var/lib/", "/etc/..")) {
            assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_STATE_DIR", system)))
                    .as(system).isInstanceOf(ConfigException.class).hasMessageContaining("'stateDir' must be a "
                            + "directory of Isola's own");
        }
    }

    @Test
    void anUnknownKey_isNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("isola.yaml"), "gatewaySpin: 5\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(file), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key 'gatewaySpin'");
    }

    @Test
    void aBadValue_namesItsKey() {
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_GATEWAY_SPIN_MICROS", "lots")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'gatewaySpinMicros' cannot be 'lots'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_GATEWAY_SPIN_MICROS", "20000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'gatewaySpinMicros' must be between");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_GATEWAY_TRANSPORT", "kqueue")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'gatewayTransport' must be 'auto'");
    }

    @Test
    void sandboxSections_comeFromTheFile_andTheEnvironmentOverridesThem() throws Exception {
        Path file = Files.writeString(dir.resolve("isola.yaml"),
                "sandbox:\n  runsc: {platform: systrap}\n  microvm: {tbMib: 64}\n");
        IsolaConfig c = ConfigLoader.load(Optional.of(file), Map.of("ISOLA_SANDBOX_MICROVM_TB_MIB", "128"));

        assertThat(c.sandbox("runsc").string("platform")).hasValue("systrap");
        assertThat(c.sandbox("microvm").integer("tbMib", 1, 4096, 32)).isEqualTo(128);
        assertThat(c.sandbox("crun").values()).isEmpty();
    }

    @Test
    void theOlderVariableNames_stillReachTheirSections() {
        IsolaConfig c = ConfigLoader.load(Optional.empty(), Map.of("ISOLA_RUNSC_PLATFORM", "kvm",
                "ISOLA_MICROVM_TB_MIB", "16"));

        assertThat(c.sandbox("runsc").string("platform")).hasValue("kvm");
        assertThat(c.sandbox("microvm").string("tbMib")).hasValue("16");
    }

    @Test
    void aSectionsBadValue_namesTheKeyInFull() {
        Section section = new Section("sandbox.runsc", Map.of("platform", "hyperdrive"));

        assertThatThrownBy(() -> section.oneOf("platform", Set.of("ptrace", "kvm"), "ptrace"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'sandbox.runsc.platform'")
                .hasMessageContaining("hyperdrive");
        section.allowOnly(Set.of("platform"));
        assertThatThrownBy(() -> new Section("sandbox.runsc", Map.of("platfrom", "kvm")).allowOnly(Set.of("platform")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key 'sandbox.runsc.platfrom'");
    }

    @Test
    void startAdmissionSpareNetworksBuildCacheAndDrain_areReadAndChecked() {
        IsolaConfig c = ConfigLoader.load(Optional.empty(), Map.of("ISOLA_START_ADMISSION", "off",
                "ISOLA_SPARE_NETWORKS", "0", "ISOLA_BUILD_CACHE", "/tmp/isola-cache", "ISOLA_DRAIN_TIMEOUT", "5s"));

        assertThat(c.startAdmission()).isEqualTo("off");
        assertThat(c.spareNetworks()).isZero();
        assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(IsolaConfig.defaults().drainTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.cacheDir()).isEqualTo(Path.of("/tmp/isola-cache"));
        assertThat(IsolaConfig.defaults().cacheDir()).isEqualTo(IsolaConfig.defaults().stateDir().resolve("cache"));
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_START_ADMISSION", "fifo")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'startAdmission'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_SPARE_NETWORKS", "100000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'spareNetworks'");
    }

    @Test
    void nodeBudget_asyncAndAdminTls_areReadAndChecked() throws Exception {
        Path file = Files.createTempFile("isola-config", ".yaml");
        try {
            Files.writeString(file, "nodeMemory: 20Gi\nasyncCallbackHosts: [hooks.local, '10.0.0.5:8443']\n"
                    + "adminTlsCert: /etc/isola/cert.pem\nadminTlsKey: /etc/isola/key.pem\nasyncBufferBytes: 8388608\n");
            IsolaConfig c = ConfigLoader.load(Optional.of(file), Map.of("ISOLA_NODE_MAX_INSTANCES", "300",
                    "ISOLA_ASYNC_RETRY_BACKOFF", "250ms", "ISOLA_ASYNC_RETENTION", "24h"));
            assertThat(c.node()).isEqualTo(new NodeConfig(300, 20L << 30));
            assertThat(c.async().callbackHosts()).containsExactly("hooks.local", "10.0.0.5:8443");
            assertThat(c.async().retryBackoff()).isEqualTo(Duration.ofMillis(250));
            assertThat(c.async().retention()).isEqualTo(Duration.ofHours(24));
            assertThat(c.async().maxBodyBytes()).as("the default").isEqualTo(1L << 20);
            assertThat(c.async().bufferBytes()).isEqualTo(8L << 20);
            assertThat(c.admin().tls()).contains(new AdminListener.Tls(Path.of("/etc/isola/cert.pem"),
                    Path.of("/etc/isola/key.pem")));
        } finally {
            Files.delete(file);
        }
        assertThat(IsolaConfig.defaults().node().memoryBytes()).as("the host's, less a reserve").isZero();
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_NODE_MEMORY", "lots")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'nodeMemory'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_ASYNC_QUEUE_LIMIT", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'asyncQueueLimit'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_ASYNC_MAX_BODY_BYTES", "4096",
                "ISOLA_ASYNC_BUFFER_BYTES", "1024"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'asyncBufferBytes'").hasMessageContaining("at least asyncMaxBodyBytes");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_ADMIN_TLS_CERT", "/x.pem")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'adminTlsKey'");
    }

    @Test
    void trustPolicy_defaultsToContainersAsRoot_andIsReadAndChecked() throws Exception {
        TrustPolicy defaults = IsolaConfig.defaults().trust();
        assertThat(defaults.isolationFloor()).isEqualTo(TrustPolicy.runningAsRoot() ? "container" : "none");
        assertThat(defaults.allowEgress()).isFalse();
        assertThat(defaults.egressPrivateRanges()).isEmpty();

        Path file = Files.createTempFile("isola-config", ".yaml");
        try {
            Files.writeString(file, "isolationFloor: vm\nallowEgress: true\negressPrivateRanges: [10.1.0.0/16]\n");
            TrustPolicy fromFile = ConfigLoader.load(Optional.of(file), Map.of()).trust();
            assertThat(fromFile).isEqualTo(new TrustPolicy("vm", true, List.of("10.1.0.0/16")));
            TrustPolicy fromEnv = ConfigLoader.load(Optional.of(file), Map.of("ISOLA_ISOLATION_FLOOR", "sandbox",
                    "ISOLA_ALLOW_EGRESS", "false", "ISOLA_EGRESS_PRIVATE_RANGES", "192.168.7.0/24, 10.9.0.0/16")).trust();
            assertThat(fromEnv).isEqualTo(new TrustPolicy("sandbox", false, List.of("192.168.7.0/24", "10.9.0.0/16")));
        } finally {
            Files.delete(file);
        }
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_ISOLATION_FLOOR", "gvisor")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'isolationFloor'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_ALLOW_EGRESS", "maybe")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'allowEgress'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_EGRESS_PRIVATE_RANGES",
                "10.0.0.0/33"))).isInstanceOf(ConfigException.class).hasMessageContaining("'egressPrivateRanges'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_EGRESS_PRIVATE_RANGES",
                "300.0.0.0/8"))).isInstanceOf(ConfigException.class).hasMessageContaining("'egressPrivateRanges'");
    }

    @Test
    void firewallCheckInterval_isReadFromFileOrEnvironment_andChecked() throws Exception {
        Path file = Files.createTempFile("isola-config-", ".yaml");
        try {
            Files.writeString(file, "firewallCheckInterval: 2s\n");
            assertThat(ConfigLoader.load(Optional.of(file), Map.of()).firewallCheckInterval())
                    .isEqualTo(Duration.ofSeconds(2));
            assertThat(ConfigLoader.load(Optional.of(file), Map.of("ISOLA_FIREWALL_CHECK_INTERVAL", "500ms"))
                    .firewallCheckInterval()).isEqualTo(Duration.ofMillis(500));
        } finally {
            Files.delete(file);
        }
        assertThat(IsolaConfig.defaults().firewallCheckInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_FIREWALL_CHECK_INTERVAL", "10ms")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'firewallCheckInterval'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("ISOLA_FIREWALL_CHECK_INTERVAL", "soon")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'firewallCheckInterval'");
    }

    @Test
    void clientLimits_comeFromTheFile_andTheEnvironment_withTheirDefaults() throws Exception {
        Path file = Files.writeString(dir.resolve("isola.yaml"),
                "headerTimeout: 5s\nkeepAliveTimeout: 2m\nminBodyRate: 0\nmaxClientConnections: 500\n");
        ClientConfig c = ConfigLoader.load(Optional.of(file), Map.of("ISOLA_MAX_CLIENT_CONNECTIONS", "800",
                "ISOLA_MIN_BODY_RATE", "4096")).clients();

        assertThat(c).isEqualTo(new ClientConfig(Duration.ofSeconds(5), Duration.ofMinutes(2), 4096, 800));
        assertThat(ConfigLoader.load(Optional.empty(), Map.of("ISOLA_HEADER_TIMEOUT", "2500ms",
                "ISOLA_KEEP_ALIVE_TIMEOUT", "30s")).clients()).isEqualTo(new ClientConfig(Duration.ofMillis(2500),
                Duration.ofSeconds(30), 1024, 10_000));
        assertThat(IsolaConfig.defaults().clients()).isEqualTo(new ClientConfig(Duration.ofSeconds(10),
                Duration.ofSeconds(75), 1024, 10_000));
    }

    @ParameterizedTest
    @CsvSource({
        "ISOLA_HEADER_TIMEOUT, soon, 'headerTimeout' cannot be 'soon'",
        "ISOLA_HEADER_TIMEOUT, 0s, 'headerTimeout' must be between 100ms and 1h",
        "ISOLA_KEEP_ALIVE_TIMEOUT, 50ms, 'keepAliveTimeout' must be between 100ms and 24h",
        "ISOLA_MIN_BODY_RATE, -1, 'minBodyRate' must be between 0",
        "ISOLA_MIN_BODY_RATE, fast, 'minBodyRate' cannot be 'fast'",
        "ISOLA_MAX_CLIENT_CONNECTIONS, 0, 'maxClientConnections' must be between 1 and 1000000",
        "ISOLA_MAX_CLIENT_CONNECTIONS, 2000000, 'maxClientConnections' must be between 1 and 1000000",
    })
    void clientLimits_aBadValue_namesItsKey(String variable, String value, String message) {
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of(variable, value)))
                .isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

        @Test
    void camelCase_turnsEnvironmentWordsIntoAKey() {
        assertThat(ConfigLoader.camelCase("TB_MIB")).isEqualTo("tbMib");
        assertThat(ConfigLoader.camelCase("UID_BASE")).isEqualTo("uidBase");
        assertThat(ConfigLoader.camelCase("PLATFORM")).isEqualTo("platform");
    }
}
