package dev.isola.net;

import dev.isola.host.FileTrees;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A crashed run leaves the bridge and the firewall's sets behind, its instances' addresses in them. The next run
 * must not inherit those elements: one left in {@code egress} gives egress to whichever instance gets that address
 * next. A run that finds the bridge without any instance on it makes the tables anew.
 */
@NoLeaks
class StaleFirewallElementsTest {
    private static final String STALE = "10.200.250.250";
    private static final String KEEPER = "isolakeep";

    @Test
    void aBridgeWithoutInstances_getsItsTablesMadeAnew_droppingACrashedRunsElements() throws Exception {
        assumeHost();
        Path first = Files.createTempDirectory("isola-test-first-");
        Path second = Files.createTempDirectory("isola-test-second-");
        try {
            leaveBridgeAndElementsBehind(first);
            assertTheNextRunDropsTheElement(second);
        } finally {
            quietly("ip link del " + KEEPER);
            FileTrees.deleteRecursively(first);
            FileTrees.deleteRecursively(second);
        }
    }

    /**
     * The usual crash: the next run is on the same state directory, where the crashed one left devices to reap (a
     * spare attachment's marker here). Reaping marked the bridge as this run's before its firewall was checked,
     * and the check was skipped.
     */
    @Test
    void theNextRunOnTheCrashedRunsStateDirectory_reapsItsDevices_andStillMakesTheTablesAnew() throws Exception {
        assumeHost();
        Path state = Files.createTempDirectory("isola-test-crashed-");
        try {
            leaveBridgeAndElementsBehind(state);
            Files.createDirectories(state.resolve("spare-networks"));
            Files.writeString(state.resolve("spare-networks/0badc0de"), "");
            assertTheNextRunDropsTheElement(state);
        } finally {
            quietly("ip link del " + KEEPER);
            FileTrees.deleteRecursively(state);
        }
    }

    private static void assertTheNextRunDropsTheElement(Path state) throws Exception {
        try (TestIsola next = TestIsola.startOn(state, "runc")) {
            call(next, "stale-b");
            assertThat(nft("list set inet isola egress")).as("the crashed run's element").doesNotContain(STALE);
        }
    }

    private static void assumeHost() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (bridge, nftables)");
        Assumptions.assumeTrue(TestHost.runner().executables().find("runc").isPresent(), "runc is not installed");
    }

    /**
     * A run whose bridge and tables outlive it, elements and all, as a crash leaves them: a port of nobody's (a veth
     * of the test's) keeps its stop from removing them, then goes.
     */
    private static void leaveBridgeAndElementsBehind(Path state) throws Exception {
        try (TestIsola earlier = TestIsola.startOn(state, "runc")) {
            call(earlier, "stale-a");
            nft("add element inet isola egress { " + STALE + " }");
            run("ip link add " + KEEPER + " type veth peer name " + KEEPER + "p && ip link set " + KEEPER
                    + " master " + InstanceNetwork.BRIDGE);
        }
        run("ip link del " + KEEPER);
        assertThat(nft("list set inet isola egress")).contains(STALE);
    }

    private static void call(TestIsola isola, String name) {
        HttpResponse<String> deployed = isola.deploy(name, TestIsola.FUNCTIONS.resolve("probe"),
                "name: " + name + "\nruntime: go\nscaling: {maxInstances: 1}\n");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        assertThat(isola.get("/function/" + name + "/").statusCode()).isEqualTo(200);
    }

    private static String nft(String command) throws IOException, InterruptedException {
        return run("nft " + command);
    }

    private static String run(String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(script + ": " + out).isZero();
        return out;
    }

    private static void quietly(String script) throws IOException, InterruptedException {
        new ProcessBuilder("sh", "-c", script + " 2>/dev/null").start().waitFor();
    }
}
