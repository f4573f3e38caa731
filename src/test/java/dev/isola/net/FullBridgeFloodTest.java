package dev.isola.net;

import dev.isola.host.Command;
import dev.isola.host.NeighbourTable;
import dev.isola.host.ProcessRunner;
import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Why each port has a static forwarding entry ({@link NeighbourTable#replaceBridgeEntry}): on a bridge of 1,023
 * ports, a frame to a MAC the bridge has not heard from lately (an instance idle past the five-minute ageing) is
 * flooded to every port, the flood overflows the kernel's backlog of 1,000 frames, and the copies for the oldest ports
 * are the ones lost, every time: a new connection to such an instance never arrived (5,000 live containers, a warm
 * call that waited 30 s). Here with real veths: the instance's port is the bridge's oldest, its peer has never sent
 * a frame, the host has a permanent neighbour entry for it (as Isola's instances do), and the SYN is lost until the
 * port has its entry.
 */
@NoLeaks
class FullBridgeFloodTest {
    private static final byte[] MAC = {0x02, 0x00, 10, (byte) 254, (byte) 201, 2};
    private static final String MAC_TEXT = "02:00:0a:fe:c9:02";
    private static final String GATEWAY_MAC = "02:00:0a:fe:c9:01";

    @Test
    void anInstanceOnTheOldestPortOfAFullBridge_isReachedOnlyThroughItsStaticEntry() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (a bridge, namespaces)");
        ProcessRunner runner = TestHost.runner();
        String tag = "fbt" + ProcessHandle.current().pid() % 100_000;
        String netns = "isola-test-" + tag;
        InetAddress instance = InetAddress.getByName("10.254.201.2");
        // As Isola's bridges: isolated ports, and a permanent entry for the gateway in the instance's namespace.
        StringBuilder ports = new StringBuilder("link add " + tag + " type bridge\n"
                + "addr add 10.254.201.1/24 dev " + tag + "\nlink set " + tag + " address " + GATEWAY_MAC + " up\n"
                + "link add " + tag + "i type veth peer name eth0 address " + MAC_TEXT + " netns " + netns + "\n"
                + port(tag, tag + "i"));
        for (int i = 1; i < InstanceNetwork.MAX_BRIDGE_PORTS; i++) {
            ports.append("link add ").append(tag).append("f").append(i).append(" type veth peer name f").append(i)
                    .append(" netns ").append(netns).append("\n").append(port(tag, tag + "f" + i));
        }
        StringBuilder peers = new StringBuilder("addr add 10.254.201.2/24 dev eth0\nlink set lo up\n"
                + "link set eth0 up\nneigh replace 10.254.201.1 lladdr " + GATEWAY_MAC
                + " dev eth0 nud permanent\n");
        for (int i = 1; i < InstanceNetwork.MAX_BRIDGE_PORTS; i++) {
            peers.append("link set f").append(i).append(" up\n");
        }
        runner.run(Command.of("ip", "netns", "add", netns));
        try (NeighbourTable table = NeighbourTable.open()) {
            // Silent until asked: no IPv6 chatter that would teach the bridge the instance's MAC.
            runner.run(Command.of("ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1"));
            runner.run(Command.of("ip", "-batch", "-").withStdin(ports.toString()).withTimeout(Duration.ofMinutes(2)));
            runner.run(Command.of("ip", "-n", netns, "-batch", "-").withStdin(peers.toString())
                    .withTimeout(Duration.ofMinutes(2)));
            table.replacePermanent(tag, instance, MAC);
            // Each port forwards once its peer's carrier is seen, which the kernel reports in its own time.
            Await.until(Duration.ofSeconds(60), () -> forwardingPorts(tag),
                    n -> n == InstanceNetwork.MAX_BRIDGE_PORTS, "every port of " + tag + " forwarding");

            assertThat(connect(instance)).as("flooded to 1,023 ports, the copy for the oldest is lost")
                    .isEqualTo("no answer");

            table.replaceBridgeEntry(tag + "i", MAC);

            assertThat(connect(instance)).as("sent to its port alone").isEqualTo("refused");
        } finally {
            runner.quietly(Command.of("ip", "netns", "del", netns)); // the veths go with their peers
            runner.quietly(Command.of("ip", "link", "del", tag));
        }
    }

    /** Ports of {@code bridge} in the forwarding state (3 in {@code brport/state}). */
    private static long forwardingPorts(String bridge) throws IOException {
        try (Stream<Path> ports = Files.list(Path.of("/sys/class/net", bridge, "brif"))) {
            return ports.filter(p -> {
                try {
                    return Files.readString(p.resolve("state")).strip().equals("3");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }

    private static String port(String bridge, String device) {
        return "link set " + device + " master " + bridge + " up\nlink set dev " + device
                + " type bridge_slave isolated on\n";
    }

    /** A connect to port 80, where nothing listens: "refused" once the SYN arrives, "no answer" if it never does. */
    private static String connect(InetAddress address) throws IOException {
        try (Socket socket = new Socket(Proxy.NO_PROXY)) {
            socket.connect(new InetSocketAddress(address, 80), 2_500);
            return "connected";
        } catch (ConnectException e) {
            return "refused";
        } catch (SocketTimeoutException e) {
            return "no answer";
        }
    }
}
