package dev.isola.net;

import dev.isola.Ticker;
import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.FileTrees;
import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The firewall on the real host (root, nft, iproute2): taken away from outside Isola, it comes back within the
 * verification period with the elements of the live attachments; IPv4 forwarding goes back to what it was. Only
 * Isola's own tables are touched, never the host's ruleset.
 */
@NoLeaks
class FirewallTest {
    private static final Duration CHECK = Duration.ofMillis(300);
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");

    private InstanceNetwork network;
    private Path state;

    @BeforeEach
    void create() throws IOException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (nft, netns, taps)");
        state = Files.createTempDirectory("isola-test-firewall-");
        network = InstanceNetwork.create(new AddressAllocator(InstanceNetwork.SUBNET), TestHost.runner(),
                Ticker.SYSTEM, state, 0, CHECK, List.of());
    }

    @AfterEach
    void removeBridge() {
        if (network != null) {
            network.close();
            FileTrees.deleteRecursively(state);
        }
    }

    @Test
    void deletedOrAlteredTables_areRestoredWithTheLiveElements() {
        InstanceNetwork.Attachment container = network.attach("fwtest0001");
        InstanceNetwork.Attachment vm = network.attachTap("fwtest0002");
        try {
            container.allowEgress();
            String inet = table("inet");
            String bridge = table("bridge");
            assertThat(inet).contains(container.address().getHostAddress(), vm.address().getHostAddress());
            assertThat(bridge).contains("\"" + container.device() + "\" . " + container.mac(),
                    "\"" + vm.device() + "\" . " + vm.address().getHostAddress());

            nft("delete", "table", "inet", "isola");
            awaitRestores(1);
            assertThat(withoutCounters(table("inet"))).as("the same rules and the live elements")
                    .isEqualTo(withoutCounters(inet));

            nft("delete", "table", "bridge", "isola");
            awaitRestores(2);
            assertThat(withoutCounters(table("bridge"))).isEqualTo(withoutCounters(bridge));

            nft("flush", "chain", "inet", "isola", "input"); // the rules gone, the table still there
            awaitRestores(3);
            assertThat(withoutCounters(table("inet"))).isEqualTo(withoutCounters(inet));

            nft("delete", "element", "inet", "isola", "egress", "{ " + container.address().getHostAddress() + " }");
            awaitRestores(4);
            assertThat(withoutCounters(table("inet"))).isEqualTo(withoutCounters(inet));
        } finally {
            container.close();
            vm.close();
        }
        assertThat(table("inet")).doesNotContain(container.address().getHostAddress());
        assertThat(table("bridge")).doesNotContain(container.device()).doesNotContain(vm.device());
    }

    @Test
    void verify_leavesAnIntactFirewallAlone() {
        InstanceNetwork.Attachment container = network.attach("fwtest0003");
        try {
            network.verifyFirewall();
            network.verifyFirewall();
            assertThat(network.firewallRestores()).isZero();
        } finally {
            container.close();
        }
    }

    /**
     * An instance whose elements nft failed to remove (here its table was gone) must not hand its address on while
     * its egress element may still be there: the address stays out of use until a verification's retry succeeds.
     */
    @Test
    void aRemovalThatFailed_isRetried_andKeepsTheAddressOutOfUseUntilThen() {
        AddressAllocator addresses = new AddressAllocator(InstanceNetwork.SUBNET);
        network.close();
        network = InstanceNetwork.create(addresses, TestHost.runner(), Ticker.SYSTEM, state, 0, Duration.ofHours(1),
                List.of()); // no periodic check to restore the table between the deletion and the close
        InstanceNetwork.Attachment container = network.attach("fwtest0005");
        container.allowEgress();
        nft("delete", "table", "inet", "isola");

        container.close();

        assertThat(network.unremovedFirewallElements()).isEqualTo(1);
        assertThat(addresses.isAllocated(container.address())).as("its address, while its elements may be there")
                .isTrue();
        assertThat(table("bridge")).contains(container.device());

        network.verifyFirewall(); // restores the table, then retries the removal

        assertThat(network.unremovedFirewallElements()).isZero();
        assertThat(addresses.isAllocated(container.address())).isFalse();
        assertThat(table("bridge")).doesNotContain(container.device());
        assertThat(table("inet")).doesNotContain(container.address().getHostAddress());
    }

    @Test
    void ipForwarding_isOffAgainAfterShutdown_whenIsolaTurnedItOn() throws IOException {
        String before = Files.readString(IP_FORWARD).trim();
        try {
            Files.writeString(IP_FORWARD, "0");
            InstanceNetwork.Attachment container = network.attach("fwtest0004");
            container.allowEgress();
            assertThat(Files.readString(IP_FORWARD).trim()).isEqualTo("1");
            container.close();
            network.close();
            network = null;
            assertThat(Files.readString(IP_FORWARD).trim()).isEqualTo("0");
            assertThat(state.resolve("ip-forward-was-off")).doesNotExist();
        } finally {
            Files.writeString(IP_FORWARD, before);
            FileTrees.deleteRecursively(state);
        }
    }

    private void awaitRestores(int count) {
        // Two periods: one until the next check, one for the check itself on a busy host.
        Await.until(CHECK.multipliedBy(2).plusSeconds(5), network::firewallRestores, n -> n == count,
                count + " firewall restores");
    }

    private static String table(String family) {
        return nft("list", "table", family, "isola");
    }

    /** Without counter values, set elements sorted: the kernel lists a set in its hash order. */
    private static String withoutCounters(String listing) {
        java.util.regex.Matcher sets = java.util.regex.Pattern.compile("elements = \\{ ([^}]*) }").matcher(
                listing.replaceAll("counter packets \\d+ bytes \\d+", "counter"));
        return sets.replaceAll(m -> "elements = { " + String.join(", ",
                java.util.Arrays.stream(m.group(1).split(",\\s*")).map(String::strip).sorted().toList()) + " }");
    }

    private static String nft(String... args) {
        String[] argv = new String[args.length + 1];
        argv[0] = "nft";
        System.arraycopy(args, 0, argv, 1, args.length);
        CommandResult r = TestHost.runner().result(Command.of(argv));
        assertThat(r.succeeded()).as(String.join(" ", argv) + ": " + r.output()).isTrue();
        return r.output();
    }
}
