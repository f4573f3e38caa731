package dev.isola.net;

import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Linux bridge takes {@value InstanceNetwork#MAX_BRIDGE_PORTS} ports and refuses the next with "Exchange full":
 * checked on a bridge of this host's kernel, in a network namespace of the test's own, so that the words Isola
 * turns into an operator's error ({@link InstanceNetwork#explainFullBridge}) are the ones {@code ip} really prints.
 */
@NoLeaks
class BridgePortLimitTest {
    private static final String NETNS = "isola-test-bridge-ports";

    @Test
    void theBridgeTakes1023Ports_andIsolaSaysSoWhenItIsFull() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (network namespaces)");
        StringBuilder batch = new StringBuilder("link add name ports type bridge\n");
        for (int i = 0; i <= InstanceNetwork.MAX_BRIDGE_PORTS; i++) {
            batch.append("link add name d").append(i).append(" type veth peer name p").append(i).append("\n")
                    .append("link set dev d").append(i).append(" master ports\n");
        }
        TestHost.runner().run(Command.of("ip", "netns", "add", NETNS));
        try {
            CommandResult filled = TestHost.runner().result(Command.of("ip", "-n", NETNS, "-batch", "-")
                    .withStdin(batch.toString()).withTimeout(Duration.ofMinutes(2)));

            assertThat(filled.succeeded()).isFalse();
            assertThat(filled.output()).contains("Exchange full")
                    .contains("-:" + (3 + 2 * InstanceNetwork.MAX_BRIDGE_PORTS));
            RuntimeException explained = InstanceNetwork.explainFullBridge(new RuntimeException(filled.output()),
                    "isola3");
            assertThat(explained).isInstanceOf(NetworkException.class)
                    .hasMessageStartingWith("bridge isola3 is full: a Linux bridge holds at most 1023 ports");
            RuntimeException other = new RuntimeException("Cannot find device");
            assertThat(InstanceNetwork.explainFullBridge(other, "isola3")).isSameAs(other);
        } finally {
            TestHost.runner().run(Command.of("ip", "netns", "del", NETNS));
        }
    }
}
