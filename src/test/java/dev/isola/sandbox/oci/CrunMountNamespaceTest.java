package dev.isola.sandbox.oci;

import dev.isola.net.HostCommand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** crun's own mount namespace on hybrid cgroup hosts (this kind of machine): real mounts, nsenter and ip netns. */
class CrunMountNamespaceTest {
    @TempDir
    Path state;

    @BeforeEach
    void needsHybridHostAndRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (mounts, namespaces)");
        assumeTrue(CrunSandboxProvider.hybrid(), "not a hybrid cgroup host: crun runs without a namespace of its own");
    }

    @Test
    void namespace_hidesTheCgroup2Mount_andSeesNetworkNamespacesMadeLater() {
        Path dir = state.resolve("crun-mntns");
        CrunMountNamespace ns = CrunMountNamespace.create(dir);
        String netns = "isola-mnttest" + ProcessHandle.current().pid();
        try {
            assertThat(inside(ns, "cat", "/proc/self/mountinfo")).doesNotContain(CrunMountNamespace.UNIFIED + " ");
            assertThat(HostCommand.run(List.of("cat", "/proc/self/mountinfo")))
                    .as("the host keeps its cgroup2 mount").contains(CrunMountNamespace.UNIFIED + " ");

            HostCommand.run(List.of("ip", "netns", "add", netns));
            assertThat(inside(ns, "stat", "-f", "-c", "%T", "/run/netns/" + netns))
                    .as("a network namespace made after the mount namespace is a namespace file in it").isEqualTo("nsfs");

            HostCommand.run(List.of("ip", "netns", "del", netns));
            assertThat(inside(ns, "cat", "/proc/self/mountinfo"))
                    .as("its removal reaches the namespace too (else it would keep the netns alive)")
                    .doesNotContain("/run/netns/" + netns + " ");
        } finally {
            HostCommand.quietly(List.of("ip", "netns", "del", netns));
            CrunMountNamespace.remove(dir);
        }
        assertThat(dir).doesNotExist();
        assertThat(HostCommand.run(List.of("cat", "/proc/self/mountinfo"))).doesNotContain("crun-mntns");
    }

    @Test
    void aNamespaceLeftByACrashedRun_isRemovedWhenTheProviderOpensTheSameStateDir() throws Exception {
        CrunMountNamespace.create(state.resolve("crun-mntns")); // never removed: the run "crashed"
        assertThat(HostCommand.run(List.of("cat", "/proc/self/mountinfo"))).contains("crun-mntns");

        CrunSandboxProvider provider = new CrunSandboxProvider();
        provider.open(state);
        try {
            assertThat(HostCommand.run(List.of("cat", "/proc/self/mountinfo"))).doesNotContain("crun-mntns");
            assertThat(HostCommand.run(provider.command("list", "--quiet")))
                    .as("a crun command makes the namespace anew").isNotNull();
            assertThat(Files.exists(state.resolve("crun-mntns/ns"))).isTrue();
        } finally {
            provider.shutdown();
        }
        assertThat(state.resolve("crun-mntns")).doesNotExist();
        assertThat(HostCommand.run(List.of("cat", "/proc/self/mountinfo"))).doesNotContain("crun-mntns");
    }

    private static String inside(CrunMountNamespace ns, String... argv) {
        List<String> command = new ArrayList<>(ns.prefix());
        command.addAll(List.of(argv));
        return HostCommand.run(command);
    }
}
