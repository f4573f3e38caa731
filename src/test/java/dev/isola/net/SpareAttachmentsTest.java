package dev.isola.net;

import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import dev.isola.Ticker;
import dev.isola.config.IsolaConfig;
import dev.isola.host.FileTrees;
import dev.isola.testing.TestHost;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real namespaces and veths on the real bridge (those tests need root and iproute2). After each test, once
 * {@code @AfterEach} removed the bridge, nothing may be left: no namespace, veth, bridge or firewall table.
 */
@NoLeaks
class SpareAttachmentsTest {
    private InstanceNetwork network;
    private Path state;
    private Path markers;

    private void needsRoot() throws IOException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (netns, veth)");
        state = Files.createTempDirectory("isola-test-spares-");
        markers = state.resolve("markers");
        network = InstanceNetwork.create(new AddressAllocator(InstanceNetwork.SUBNET), TestHost.runner(),
                Ticker.SYSTEM, state, 0, IsolaConfig.DEFAULT_FIREWALL_CHECK, List.of());
    }

    @AfterEach
    void removeBridge() {
        if (network != null) {
            network.close();
            FileTrees.deleteRecursively(state);
        }
    }

    private SpareAttachments spares(Path recordedIn, int target) {
        return new SpareAttachments(network, recordedIn, target, Ticker.SYSTEM);
    }

    @Test
    void take_servesSparesMadeInTheBackground_andCloseRemovesTheUnused() throws Exception {
        needsRoot();
        SpareAttachments spares = spares(markers, 2);
        InstanceNetwork.Attachment first = spares.take();
        assertThat(netns(first)).as("made on the spot: nothing was ready").exists();
        awaitMarkers(3);

        InstanceNetwork.Attachment second = spares.take();
        assertThat(netns(second)).exists();
        assertThat(second.address()).isNotEqualTo(first.address());
        awaitMarkers(4);

        List<String> unused = markerKeys().stream().filter(k -> !k.equals(key(first)) && !k.equals(key(second)))
                .toList();
        spares.close();
        assertThat(markerKeys()).as("only the taken ones stay, until their instances stop")
                .containsExactlyInAnyOrder(key(first), key(second));
        for (String key : unused) {
            assertThat(Path.of("/var/run/netns", network.netnsName(key))).as("unused spare").doesNotExist();
        }

        first.close();
        second.close();
        assertThat(markerKeys()).isEmpty();
        assertThat(netns(first)).doesNotExist();
        assertThat(netns(second)).doesNotExist();
    }

    @Test
    void refill_waitsUntilTakesPause() throws Exception {
        needsRoot();
        SpareAttachments spares = spares(markers, 1);
        Instant before = Instant.now();
        InstanceNetwork.Attachment taken = spares.take();
        try {
            awaitMarkers(3); // the one taken and two spares: twice the burst of one
            String spare = markerKeys().stream().filter(k -> !k.equals(key(taken))).findFirst().orElseThrow();
            Instant made = Files.getLastModifiedTime(markers.resolve(spare)).toInstant();
            // File times come from the kernel's coarse clock (a tick behind): allow 20 ms.
            assertThat(Duration.between(before, made))
                    .as("the spare is made once takes have paused, not during the burst")
                    .isGreaterThanOrEqualTo(Duration.ofNanos(SpareAttachments.QUIET_NANOS).minusMillis(20));
        } finally {
            spares.close();
            taken.close();
        }
    }

    @Test
    void reapLeftovers_removesRecordedAttachmentsOnly() throws Exception {
        needsRoot();
        SpareAttachments spares = spares(markers, 1);
        InstanceNetwork.Attachment crashed = spares.take();
        awaitMarkers(3); // the one taken and two spares: twice the burst of one
        // A crash: nothing is closed, the markers stay. Another directory's attachment must survive the reaping.
        Path otherMarkers = Files.createTempDirectory("isola-test-other-spares-");
        SpareAttachments others = spares(otherMarkers, 0);
        InstanceNetwork.Attachment foreign = others.take();
        try {
            List<String> recorded = markerKeys();
            spares.reapLeftovers();

            assertThat(markerKeys()).isEmpty();
            for (String key : recorded) {
                assertThat(Path.of("/var/run/netns", network.netnsName(key))).doesNotExist();
            }
            assertThat(netns(foreign)).as("another state directory's attachment").exists();
        } finally {
            foreign.close();
            spares.close();
            crashed.close();
            Files.deleteIfExists(otherMarkers);
        }
    }

    @Test
    void bridgeMac_staysFixedWhilePortsComeAndGo() throws Exception {
        needsRoot();
        SpareAttachments spares = spares(markers, 0);
        InstanceNetwork.Attachment first = spares.take();
        Path bridgeMac = Path.of("/sys/class/net", InstanceNetwork.BRIDGE, "address");
        String mac = Files.readString(bridgeMac).trim();
        InstanceNetwork.Attachment second = spares.take();
        first.close();
        // Linux would otherwise give the bridge its lowest port MAC; instances caching the old one lose replies.
        assertThat(Files.readString(bridgeMac).trim()).isEqualTo(mac)
                .isEqualTo(InstanceNetwork.macOf(network.gateway()));
        second.close();
        spares.close();
    }

    private static Path netns(InstanceNetwork.Attachment attachment) {
        return Path.of(attachment.netnsPath());
    }

    private static String key(InstanceNetwork.Attachment attachment) {
        return attachment.device().substring(2);
    }

    private List<String> markerKeys() throws IOException {
        try (Stream<Path> list = Files.list(markers)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private List<String> namespaces() throws IOException {
        List<String> keys = markerKeys();
        try (Stream<Path> list = Files.list(Path.of("/var/run/netns"))) {
            return list.map(p -> p.getFileName().toString())
                    .filter(n -> keys.stream().anyMatch(k -> n.equals(network.netnsName(k)))).toList();
        }
    }

    /** What the markers directory records, and which of those attachments have their namespace. */
    private record Recorded(List<String> markers, List<String> namespaces) {
    }

    /** Waits until {@code count} attachments are recorded and every recorded one has its namespace. */
    private void awaitMarkers(int count) {
        Await.until(Duration.ofSeconds(10), () -> new Recorded(markerKeys(), namespaces()),
                r -> r.markers().size() == count && r.namespaces().size() == count,
                count + " recorded attachments, each with its namespace");
    }
}
