package dev.isola.sandbox.oci;

import dev.isola.host.ProcessRunner;
import dev.isola.testing.TestHost;
import dev.isola.testing.NoLeaks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The runtimes' own mount namespaces: real mounts, nsenter and ip netns. */
@NoLeaks
class RuntimeMountNamespaceTest {
    private static final List<String> HIDE_NET_SYSCTLS = RunscSandboxProvider.HIDE_NET_SYSCTLS;
    private static final ProcessRunner RUNNER = TestHost.runner();

    @TempDir
    Path state;

    @BeforeEach
    void needsRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (mounts, namespaces)");
    }

    @Test
    void namespace_hasItsChange_andSeesNetworkNamespacesMadeLater_andLeavesTheHostAlone() {
        Path dir = state.resolve("runsc-mntns");
        RuntimeMountNamespace ns = RuntimeMountNamespace.create(RUNNER, dir, HIDE_NET_SYSCTLS);
        String netns = "isola-mnttest" + ProcessHandle.current().pid();
        try {
            assertThat(inside(ns, "ls", "-A", "/proc/sys/net")).as("runsc's change: no network sysctls").isEmpty();
            assertThat(Path.of("/proc/sys/net/core")).as("the host keeps them").isDirectory();

            RUNNER.run(List.of("ip", "netns", "add", netns));
            assertThat(inside(ns, "stat", "-f", "-c", "%T", "/run/netns/" + netns))
                    .as("a network namespace made after the mount namespace is a namespace file in it").isEqualTo("nsfs");

            RUNNER.run(List.of("ip", "netns", "del", netns));
            assertThat(inside(ns, "cat", "/proc/self/mountinfo"))
                    .as("its removal reaches the namespace too (else it would keep the netns alive)")
                    .doesNotContain("/run/netns/" + netns + " ");
        } finally {
            RUNNER.quietly(List.of("ip", "netns", "del", netns));
            RuntimeMountNamespace.remove(RUNNER, dir);
        }
        assertThat(dir).doesNotExist();
        assertThat(mountinfo()).doesNotContain("-mntns");
    }

    @Test
    void crunOnAHybridHost_seesNoCgroup2Mount() {
        assumeTrue(CrunSandboxProvider.hybrid(), "not a hybrid cgroup host: crun runs in the host's namespace");
        Path dir = state.resolve("crun-mntns");
        RuntimeMountNamespace ns = RuntimeMountNamespace.create(RUNNER, dir, CrunSandboxProvider.mountNamespaceChange());
        try {
            assertThat(inside(ns, "cat", "/proc/self/mountinfo")).doesNotContain(CrunSandboxProvider.UNIFIED + " ");
            assertThat(mountinfo()).as("the host keeps its cgroup2 mount").contains(CrunSandboxProvider.UNIFIED + " ");
        } finally {
            RuntimeMountNamespace.remove(RUNNER, dir);
        }
    }

    @Test
    void aFailingChange_leavesNothingMounted() {
        Path dir = state.resolve("bad-mntns");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> RuntimeMountNamespace.create(RUNNER, dir, List.of("umount", "/no/such/mount")))
                .hasMessageContaining("umount");
        assertThat(dir).doesNotExist();
        assertThat(mountinfo()).doesNotContain("-mntns");
    }

    @Test
    void aNamespaceLeftByACrashedRun_isRemovedWhenTheBackendReapsTheSameStateDir() {
        RuntimeMountNamespace.create(RUNNER, state.resolve("runsc-mntns"), HIDE_NET_SYSCTLS); // never removed: "crashed"
        assertThat(mountinfo()).contains("runsc-mntns");

        OciBackend backend = (OciBackend) TestHost.backend("runsc", state, Map.of());
        backend.reapLeftovers();
        try {
            assertThat(mountinfo()).doesNotContain("runsc-mntns");
            RUNNER.run(backend.command("list", "--quiet"));
            assertThat(Files.exists(state.resolve("runsc-mntns/ns"))).as("a runsc command makes it anew").isTrue();
        } finally {
            backend.shutdown();
        }
        assertThat(state.resolve("runsc-mntns")).doesNotExist();
        assertThat(mountinfo()).doesNotContain("-mntns");
    }

    private static String mountinfo() {
        return RUNNER.run(List.of("cat", "/proc/self/mountinfo"));
    }

    private static String inside(RuntimeMountNamespace ns, String... argv) {
        List<String> command = new ArrayList<>(ns.prefix());
        command.addAll(List.of(argv));
        return RUNNER.run(command);
    }
}
