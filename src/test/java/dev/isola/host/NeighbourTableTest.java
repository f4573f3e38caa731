package dev.isola.host;

import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NeighbourTableTest {
    private static final byte[] MAC = {0x52, 0x54, 10, (byte) 254, 7, 9};

    @Test
    void aNewEntry_isOneMessage_withTheAddressAndTheMac() throws Exception {
        ByteBuffer m = NeighbourTable.message((short) 28, (short) 0x505, 42, InetAddress.getByName("10.254.7.9"),
                MAC);

        assertThat(m.limit()).isEqualTo(48).isEqualTo(m.order(ByteOrder.nativeOrder()).getInt(0));
        assertThat(m.getShort(4)).as("RTM_NEWNEIGH").isEqualTo((short) 28);
        assertThat(m.get(16)).as("AF_INET").isEqualTo((byte) 2);
        assertThat(m.getInt(20)).as("interface index").isEqualTo(42);
        assertThat(m.getShort(24)).as("NUD_PERMANENT").isEqualTo((short) 0x80);
        assertThat(m.getShort(30)).as("NDA_DST").isEqualTo((short) 1);
        assertThat(m.get(35)).isEqualTo((byte) 9);
        assertThat(m.getShort(36)).as("NDA_LLADDR length").isEqualTo((short) 10);
        assertThat(m.get(40)).isEqualTo((byte) 0x52);
    }

    @Test
    void aBridgeEntry_isOneMessage_ofTheBridgeFamily_staticAndSticky() {
        ByteBuffer m = NeighbourTable.bridgeMessage(42, MAC);

        assertThat(m.limit()).isEqualTo(40).isEqualTo(m.order(ByteOrder.nativeOrder()).getInt(0));
        assertThat(m.getShort(4)).as("RTM_NEWNEIGH").isEqualTo((short) 28);
        assertThat(m.get(16)).as("AF_BRIDGE").isEqualTo((byte) 7);
        assertThat(m.getInt(20)).as("the port's index").isEqualTo(42);
        assertThat(m.getShort(24)).as("NUD_NOARP: static").isEqualTo((short) 0x40);
        assertThat(m.get(26)).as("NTF_MASTER | NTF_STICKY").isEqualTo((byte) 0x44);
        assertThat(m.getShort(30)).as("NDA_LLADDR").isEqualTo((short) 2);
        assertThat(m.get(32)).isEqualTo((byte) 0x52);
    }

    /** On a bridge of its own: the entry is on the port, static and sticky, as {@code bridge fdb} shows it. */
    @Test
    void aBridgeEntry_isSetOnThePort_asBridgeFdbShowsIt() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (a bridge)");
        ProcessRunner runner = TestHost.runner();
        String bridge = "nbt" + ProcessHandle.current().pid() % 100_000;
        runner.run(Command.of("ip", "link", "add", bridge, "type", "bridge"));
        try (NeighbourTable table = NeighbourTable.open()) {
            runner.run(Command.of("ip", "link", "add", bridge + "p", "master", bridge, "type", "veth", "peer", "name",
                    bridge + "q"));
            table.replaceBridgeEntry(bridge + "p", MAC);
            table.replaceBridgeEntry(bridge + "p", MAC); // replaced: no error

            assertThat(runner.run(Command.of("bridge", "fdb", "show", "dev", bridge + "p")))
                    .contains("52:54:0a:fe:07:09 sticky master " + bridge + " static");
            assertThatThrownBy(() -> table.replaceBridgeEntry("nbt-none", MAC))
                    .isInstanceOf(HostException.class).hasMessageContaining("nbt-none");
        } finally {
            runner.quietly(Command.of("ip", "link", "del", bridge + "p"));
            runner.quietly(Command.of("ip", "link", "del", bridge));
        }
        assertThat(Files.exists(Path.of("/sys/class/net", bridge + "p"))).isFalse();
    }

    @Test
    void onlyIpv4_withASixByteMac() {
        assertThatThrownBy(() -> NeighbourTable.message((short) 28, (short) 0, 1, InetAddress.getByName("::1"), MAC))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** On a bridge of its own: the entry is there, permanent, with the MAC; replaced; then gone. */
    @Test
    void anEntry_isSetReplacedAndDeleted_asIpNeighShowsIt() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (a bridge)");
        ProcessRunner runner = TestHost.runner();
        String bridge = "nbt" + ProcessHandle.current().pid() % 100_000;
        InetAddress address = InetAddress.getByName("10.254.7.9");
        runner.run(Command.of("ip", "link", "add", bridge, "type", "bridge"));
        try (NeighbourTable table = NeighbourTable.open()) {
            table.replacePermanent(bridge, address, new byte[] {0x52, 0x54, 0, 0, 0, 1});
            table.replacePermanent(bridge, address, MAC);

            assertThat(runner.run(Command.of("ip", "neigh", "show", "dev", bridge)))
                    .contains("10.254.7.9 lladdr 52:54:0a:fe:07:09 PERMANENT");

            table.delete(bridge, address);
            table.delete(bridge, address); // already gone: no error

            assertThat(runner.run(Command.of("ip", "neigh", "show", "dev", bridge))).doesNotContain("10.254.7.9");
            assertThatThrownBy(() -> table.replacePermanent("nbt-none", address, MAC))
                    .isInstanceOf(HostException.class).hasMessageContaining("nbt-none");
        } finally {
            runner.quietly(Command.of("ip", "link", "del", bridge));
        }
        assertThat(Files.exists(Path.of("/sys/class/net", bridge))).isFalse();
    }
}
