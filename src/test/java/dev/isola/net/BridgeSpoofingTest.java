package dev.isola.net;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.testing.Await;
import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestHost;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real runc instances on the real bridge. An instance's namespace is changed from the host (a function has no
 * CAP_NET_ADMIN to do it itself; someone who broke out of its seccomp profile might) to use the other instance's MAC
 * or address; its frames must be dropped (the firewall's counters say so), the bridge must not learn the other's MAC
 * on its port, and the other instance must keep answering. The firewall, taken away from outside, must come back
 * within the verification period and be counted in {@code /metrics}.
 */
class BridgeSpoofingTest {
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("runc");
    private static final Pattern COUNTERS = Pattern.compile("counter packets (\\d+)");
    private static final String GATEWAY = "10.200.0.1";

    @Test
    void instanceWithAnotherInstancesMacOrAddress_hasItsFramesDropped(TestIsola isola) throws Exception {
        Instance a = start(isola, "spoof-a");
        Instance b = start(isola, "spoof-b");
        String bMac = InstanceNetwork.macOf(b.address());

        List<Long> before = dropCounters();
        run("ip", "-n", a.netns(), "link", "set", "eth0", "address", bMac);
        runQuietly("ip", "netns", "exec", a.netns(), "busybox", "arping", "-c", "2", "-w", "2", "-I", "eth0", GATEWAY);
        List<Long> afterMac = dropCounters();
        assertThat(afterMac.get(0)).as("frames with another instance's MAC").isGreaterThan(before.get(0));
        assertThat(run("bridge", "fdb", "show", "br", InstanceNetwork.BRIDGE))
                .as("the bridge did not learn the other's MAC on the spoofer's port")
                .doesNotContainPattern(Pattern.quote(bMac) + " dev " + Pattern.quote(a.device()));
        run("ip", "-n", a.netns(), "link", "set", "eth0", "address", InstanceNetwork.macOf(a.address()));

        String bAddress = b.address().getHostAddress();
        run("ip", "-n", a.netns(), "addr", "add", bAddress + "/32", "dev", "eth0");
        runQuietly("ip", "netns", "exec", a.netns(), "busybox", "arping", "-c", "2", "-w", "2", "-I", "eth0",
                "-s", bAddress, GATEWAY);
        // Past ARP (which the filter keeps from answering): an IPv4 packet straight to the gateway's MAC.
        run("ip", "-n", a.netns(), "neigh", "replace", GATEWAY, "lladdr",
                InstanceNetwork.macOf(InetAddress.getByName(GATEWAY)), "dev", "eth0", "nud", "permanent");
        runQuietly("ip", "netns", "exec", a.netns(), "busybox", "ping", "-c", "2", "-W", "1", "-I", bAddress,
                GATEWAY);
        List<Long> afterAddress = dropCounters();
        assertThat(afterAddress.get(2)).as("ARP claiming another instance's address").isGreaterThan(afterMac.get(2));
        assertThat(afterAddress.get(3)).as("IPv4 from another instance's address").isGreaterThan(afterMac.get(3));
        assertThat(run("ip", "neigh", "show", bAddress, "dev", InstanceNetwork.BRIDGE))
                .as("the host still sends the other's packets to the other").contains(bMac).contains("PERMANENT");

        HttpResponse<String> other = isola.get("/function/spoof-b/");
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(other.headers().firstValue("X-Isola-Instance")).hasValue(b.id());
    }

    /**
     * Frames to the IEEE link-local group addresses (01:80:c2:00:00:0X) skip the bridge's prerouting hook: the bridge
     * hands them to the host as received on the instance's own port. A UDP datagram to the host inside one must not
     * reach a host service bound to every address.
     */
    @Test
    void datagramToTheHost_inALinkLocalGroupFrame_doesNotReachIt(TestIsola isola) throws Exception {
        Instance a = start(isola, "linklocal-a");
        try (DatagramSocket host = new DatagramSocket(new InetSocketAddress("0.0.0.0", 0))) {
            host.setSoTimeout(1500);
            for (String group : List.of("0180c2000002", "0180c2000003", "0180c200000e")) {
                run("ip", "netns", "exec", a.netns(), "python3", "-c", RAW_UDP, "eth0", group,
                        InstanceNetwork.macOf(a.address()).replace(":", ""), a.address().getHostAddress(), GATEWAY,
                        Integer.toString(host.getLocalPort()));
            }
            DatagramPacket got = new DatagramPacket(new byte[64], 64);
            assertThatThrownBy(() -> host.receive(got)).as("the host received: %s",
                    new String(got.getData(), 0, got.getLength(), StandardCharsets.US_ASCII))
                    .isInstanceOf(SocketTimeoutException.class);
        }
    }

    /** Sends one IPv4 UDP datagram in an Ethernet frame: argv interface, destination MAC, source MAC, IPs, port. */
    private static final String RAW_UDP = """
            import socket, struct, sys
            dev, dst, src, sip, dip, port = sys.argv[1:7]
            payload = b"spoofed"
            udp = struct.pack("!HHHH", 40000, int(port), 8 + len(payload), 0) + payload
            def checksum(b):
                s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
                s = (s >> 16) + (s & 0xffff)
                return ~(s + (s >> 16)) & 0xffff
            head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                               socket.inet_aton(sip), socket.inet_aton(dip))
            head = head[:10] + struct.pack("!H", checksum(head)) + head[12:]
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((dev, 0))
            s.send(bytes.fromhex(dst) + bytes.fromhex(src) + b"\\x08\\x00" + head + udp)
            """;

    @Test
    void firewallDeletedFromOutside_isRestoredAndCounted(TestIsola isola) throws Exception {
        Instance a = start(isola, "restore-a");
        run("nft", "delete", "table", "inet", "isola");
        Await.until(Duration.ofSeconds(20), () -> isola.get("/metrics").body(),
                m -> m.contains("isola_firewall_restored_total 1.0"), "the restore counted in /metrics");
        assertThat(run("nft", "list", "table", "bridge", "isola")).contains(a.device());
        assertThat(run("nft", "list", "table", "inet", "isola")).contains("iifname \"isola*\" drop");
        assertThat(isola.get("/function/restore-a/").statusCode()).isEqualTo(200);
    }

    /** A live instance of a new function: its id, address, namespace and host-side device. */
    private record Instance(String id, InetAddress address, String netns, String device) {
    }

    private static Instance start(TestIsola isola, String name) throws IOException {
        HttpResponse<String> deployed = isola.deploy(name, TestIsola.FUNCTIONS.resolve("probe"),
                "name: " + name + "\nruntime: go\nscaling: {maxInstances: 1}\n");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        HttpResponse<String> call = isola.get("/function/" + name + "/");
        assertThat(call.statusCode()).as(call.body()).isEqualTo(200);
        JsonNode instance = isola.instances().stream().filter(i -> i.get("id").asText().startsWith(name + "."))
                .findFirst().orElseThrow();
        String endpoint = instance.get("endpoint").asText();
        InetAddress address = InetAddress.getByName(endpoint.substring(0, endpoint.lastIndexOf(':')));
        String netns = netnsWith(address);
        return new Instance(instance.get("id").asText(), address, netns,
                InstanceNetwork.VETH_PREFIX + netns.substring(netns.lastIndexOf('-') + 1));
    }

    /** The namespace whose eth0 has {@code address}: containers take spare attachments, named by keys of their own. */
    private static String netnsWith(InetAddress address) throws IOException {
        try (Stream<Path> all = Files.list(Path.of("/run/netns"))) {
            for (Path ns : all.filter(p -> p.getFileName().toString().startsWith(InstanceNetwork.NETNS_PREFIX))
                    .toList()) {
                String name = ns.getFileName().toString();
                CommandResult r = TestHost.runner().result(Command.of("ip", "-n", name, "-4", "addr", "show", "eth0"));
                if (r.succeeded() && r.output().contains("inet " + address.getHostAddress() + "/")) {
                    return name;
                }
            }
        }
        throw new AssertionError("no namespace has " + address.getHostAddress());
    }

    /** The packets each drop rule of the bridge table's port chain counted, in the order of the rules. */
    private static List<Long> dropCounters() {
        Matcher m = COUNTERS.matcher(run("nft", "list", "chain", "bridge", "isola", "port"));
        return m.results().map(r -> Long.parseLong(r.group(1))).toList();
    }

    private static String run(String... argv) {
        return TestHost.runner().run(Command.of(argv));
    }

    /** For the probes whose packets are dropped: they fail, and that is the point. */
    private static void runQuietly(String... argv) {
        TestHost.runner().result(Command.of(argv));
    }
}
