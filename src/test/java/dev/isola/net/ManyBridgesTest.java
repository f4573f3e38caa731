package dev.isola.net;

import dev.isola.Ticker;
import dev.isola.host.Command;
import dev.isola.host.FileTrees;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attachments past a bridge's ports go on the next bridge, made for them, where the host reaches them as it reaches
 * those on the first; closing frees their ports for the next, and the network's close removes every bridge. Real
 * namespaces, taps and bridges, with bridges of two ports so that three attachments fill one (the kernel's own limit
 * of 1,023 ports is {@link BridgePortLimitTest}'s).
 */
@NoLeaks
class ManyBridgesTest {
    private InstanceNetwork network;
    private Path state;

    @AfterEach
    void removeBridges() {
        if (network != null) {
            network.close();
            FileTrees.deleteRecursively(state);
        }
    }

    private void openNetworkOfTwoPortBridges() throws IOException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (netns, taps, bridges)");
        state = Files.createTempDirectory("isola-test-bridges-");
        network = InstanceNetwork.withPortsPerBridge(2, new AddressAllocator(InstanceNetwork.SUBNET),
                TestHost.runner(), Ticker.SYSTEM, state);
    }

    @Test
    void aFullBridge_sendsTheNextAttachmentsToAnother_whichTheHostReaches() throws IOException {
        openNetworkOfTwoPortBridges();

        InstanceNetwork.Attachment a = network.attach("mbtesta");
        InstanceNetwork.Attachment b = network.attachTap("mbtestb");
        InstanceNetwork.Attachment c = network.attach("mbtestc");
        InstanceNetwork.Attachment d = network.attachTap("mbtestd");

        assertThat(List.of(a.bridge(), b.bridge(), c.bridge(), d.bridge()))
                .containsExactly("isola0", "isola0", "isola1", "isola1");
        assertThat(ports("isola1")).containsExactlyInAnyOrder(c.device(), d.device());
        assertThat(reachable(a)).as("an instance on the first bridge answers the host").isTrue();
        assertThat(reachable(c)).as("and one on the second").isTrue();
        for (String key : List.of("mbtesta", "mbtestc")) {
            // Never learnt by ARP, so never lost when the host's one ARP table for all namespaces is full.
            assertThat(TestHost.runner().run(List.of("ip", "-n", network.netnsName(key), "neigh", "show",
                    network.gateway().getHostAddress())))
                    .as("the gateway's neighbour entry in " + key + "'s namespace")
                    .contains("lladdr " + InstanceNetwork.macOf(network.gateway()), "PERMANENT");
        }
        for (InstanceNetwork.Attachment attachment : List.of(a, b, c, d)) {
            // Never aged out, so frames to an idle instance are never flooded (and lost on a full bridge).
            assertThat(TestHost.runner().run(List.of("bridge", "fdb", "show", "dev", attachment.device())))
                    .as("the forwarding entry of " + attachment.device())
                    .contains(attachment.mac() + " sticky master " + attachment.bridge() + " static");
            // What start-up reaping finds a device by when no record of it is left (DeviceOwner).
            assertThat(Files.readString(Path.of("/sys/class/net", attachment.device(), "ifalias")).strip())
                    .isEqualTo("isola:" + DeviceOwner.tagOf(state));
        }
        assertThat(TestHost.runner().run(List.of("ip", "route", "show", c.address().getHostAddress())))
                .contains("dev isola1");

        c.close();
        InstanceNetwork.Attachment e = network.attach("mbteste");
        assertThat(e.bridge()).as("the port c freed").isEqualTo("isola1");
        assertThat(reachable(e)).isTrue();
        assertThat(TestHost.runner().run(List.of("ip", "route", "show", "dev", "isola1")))
                .as("c's route went with it").doesNotContain(c.address().getHostAddress() + " ");

        for (InstanceNetwork.Attachment attachment : List.of(a, b, d, e)) {
            attachment.close();
        }
        network.close();
        assertThat(Path.of("/sys/class/net/isola1")).doesNotExist();
        assertThat(Path.of("/sys/class/net/isola0")).doesNotExist();
    }

    /**
     * Starts that come together past full bridges each get a port on a bridge that is whole (address, up) and the
     * host reaches all of them: the next bridge is made once, while the starts for it wait.
     */
    @Test
    void concurrentStartsPastAFullBridge_allAttach_toBridgesThatAreUp() throws Exception {
        openNetworkOfTwoPortBridges();

        List<InstanceNetwork.Attachment> attached = new ArrayList<>();
        try (var starts = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<InstanceNetwork.Attachment>> pending = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String key = "mbtestc" + i;
                pending.add(starts.submit(() -> network.attach(key)));
            }
            List<Throwable> failures = new ArrayList<>();
            for (Future<InstanceNetwork.Attachment> start : pending) {
                try {
                    attached.add(start.get());
                } catch (ExecutionException e) {
                    failures.add(e.getCause());
                }
            }
            assertThat(failures).as("every start attached").isEmpty();
            assertThat(attached.stream().map(InstanceNetwork.Attachment::bridge).distinct().count())
                    .as("ten attachments on bridges of two ports").isEqualTo(5);
            for (InstanceNetwork.Attachment attachment : attached) {
                assertThat(reachable(attachment)).as(attachment.bridge()).isTrue();
            }
        } finally {
            attached.forEach(InstanceNetwork.Attachment::close);
        }
    }

    private static List<String> ports(String bridge) throws IOException {
        try (var listed = Files.list(Path.of("/sys/class/net", bridge, "brif"))) {
            return listed.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** Whether the instance's namespace answers a ping from the host (the firewall lets replies in). */
    private static boolean reachable(InstanceNetwork.Attachment attachment) {
        return TestHost.runner().result(Command.of("busybox", "ping", "-c", "1", "-W", "2",
                attachment.address().getHostAddress())).succeeded();
    }
}
