package dev.isola.net;

import dev.isola.host.FileTrees;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Start-up reaping by device tag: what an ended run left with no record of it (its work directories and markers
 * gone, or its whole state directory) is removed; a live Isola's devices are not.
 */
@NoLeaks
class DeviceOwnerTest {
    private static final String OURS = "a1a1a1a1a1";
    private static final String DEAD = "b2b2b2b2b2";
    private static final String LIVE = "c3c3c3c3c3";

    @Test
    void tags_areStable_distinctPerStateDirectory_andFitTheClaimsFile() throws Exception {
        Path one = Files.createTempDirectory("isola-test-tag-");
        Path two = Files.createTempDirectory("isola-test-tag-");
        try {
            assertThat(DeviceOwner.tagOf(one)).matches("[0-9a-f]{8}").isEqualTo(DeviceOwner.tagOf(one))
                    .isNotEqualTo(DeviceOwner.tagOf(two));
            assertThat(Integer.parseInt(DeviceOwner.tagOf(one), 16)).isNotNegative();
            assertThat(DeviceOwner.of(one).netns("k1")).isEqualTo("isola-" + DeviceOwner.tagOf(one) + "-k1");
        } finally {
            Files.delete(one);
            Files.delete(two);
        }
    }

    @Test
    void start_reapsUnrecordedDevicesOfThisStateDirAndOfEndedRuns_notThoseOfALiveOne() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (netns, taps)");
        Path state = Files.createTempDirectory("isola-test-crashed-");
        Path gone = Files.createTempDirectory("isola-test-gone-");
        Path live = Files.createTempDirectory("isola-test-live-");
        String ours = DeviceOwner.tagOf(state);
        String dead = DeviceOwner.tagOf(gone);
        String alive = DeviceOwner.tagOf(live);
        FileTrees.deleteRecursively(gone); // a benchmark's state directory, removed after its server was killed
        Process holder = holdClaim(alive); // another Isola, alive, in another process
        try {
            for (String[] device : List.of(new String[] {ours, OURS}, new String[] {dead, DEAD},
                    new String[] {alive, LIVE})) {
                ip("netns", "add", "isola-" + device[0] + "-" + device[1]);
                ip("tuntap", "add", "dev", "it" + device[1], "mode", "tap");
                ip("link", "set", "dev", "it" + device[1], "alias", "isola:" + device[0]);
            }

            TestIsola.startOn(state, "process").close();

            assertThat(netns(ours, OURS)).as("this state directory's, unrecorded").doesNotExist();
            assertThat(link("it" + OURS)).doesNotExist();
            assertThat(netns(dead, DEAD)).as("an ended run's").doesNotExist();
            assertThat(link("it" + DEAD)).doesNotExist();
            assertThat(netns(alive, LIVE)).as("a live Isola's").exists();
            assertThat(link("it" + LIVE)).exists();
        } finally {
            holder.destroyForcibly().waitFor();
            for (String[] device : List.of(new String[] {ours, OURS}, new String[] {dead, DEAD},
                    new String[] {alive, LIVE})) {
                quietly("ip", "netns", "del", "isola-" + device[0] + "-" + device[1]);
                quietly("ip", "link", "del", "it" + device[1]);
            }
            FileTrees.deleteRecursively(state);
            FileTrees.deleteRecursively(live);
        }
    }

    /** A process of its own that holds {@code tag}'s claim as a live Isola does: an fcntl lock on its byte. */
    private static Process holdClaim(String tag) throws Exception {
        Path owners = HostClaims.HOST_DIR.resolve("owners");
        Files.createDirectories(owners.getParent());
        Process holder = new ProcessBuilder("python3", "-c", """
                import fcntl, os, sys
                fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(sys.argv[2], 16))
                print("held", flush=True)
                sys.stdin.read()
                """, owners.toString(), tag).redirectErrorStream(true).start();
        String line = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertThat(line).as("the holder's claim").isEqualTo("held");
        return holder;
    }

    private static Path netns(String tag, String key) {
        return DeviceOwner.NETNS_DIR.resolve("isola-" + tag + "-" + key);
    }

    private static Path link(String name) {
        return DeviceOwner.LINKS_DIR.resolve(name);
    }

    private static void ip(String... args) {
        TestHost.runner().run(Stream.concat(Stream.of("ip"), Stream.of(args)).toList());
    }

    private static void quietly(String... argv) {
        TestHost.runner().quietly(List.of(argv));
    }
}
