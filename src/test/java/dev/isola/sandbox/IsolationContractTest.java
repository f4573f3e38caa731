package dev.isola.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.testing.Await;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract plus what only a real sandbox (container or VM) can show: an enforced memory limit, network isolation from the host
 * and between instances, and no container, namespace, link or cgroup left behind.
 */
abstract class IsolationContractTest extends SandboxContractTest {
    /** Whether the backend puts Isola's seccomp profile on the function (runc, crun; not gVisor or a VM). */
    protected boolean filtersSyscalls() {
        return true;
    }

    @Test
    void seccomp_deniedSystemCallFailsWithEperm() {
        Assumptions.assumeTrue(filtersSyscalls(), () -> backend() + " isolates system calls another way");
        deployProbe("c-seccomp", "go", "{maxInstances: 1}");
        HttpResponse<String> r = isola.get("/function/c-seccomp/keyctl");
        assertThat(r.body()).as("%s", r).isEqualTo("failed: operation not permitted");
        HttpResponse<String> ns = isola.get("/function/c-seccomp/newns");
        assertThat(ns.body()).as("a user and network namespace of its own: %s", ns)
                .isEqualTo("failed: fork/exec /proc/self/exe: operation not permitted");
        HttpResponse<String> fallocate = isola.get("/function/c-seccomp/fallocate");
        assertThat(fallocate.body()).as("disk for its console that the size does not show: %s", fallocate)
                .isEqualTo("failed: operation not supported");
    }

    /**
     * Whether each instance's function runs as a host uid of its own (runc, crun); gVisor's kernel has users of its
     * own, and a VM's QEMU is checked by the microVM jail test.
     */
    protected boolean ownHostUidPerInstance() {
        return false;
    }

    @Test
    void twoLiveInstances_runAsHostUidsOfTheirOwn_neverNobody() throws IOException {
        Assumptions.assumeTrue(ownHostUidPerInstance(), () -> backend() + " has no host uid per instance");
        List<String> uids = new ArrayList<>();
        for (JsonNode instance : twoInstances("c-uids")) {
            String uid = Files.readAllLines(Path.of("/proc", instance.get("pid").asText(), "status")).stream()
                    .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow().substring(4).strip();
            String[] ids = uid.split("\\s+");
            assertThat(ids).as("real, effective, saved and fs uid").containsOnly(ids[0]);
            uids.add(ids[0]);
        }
        assertThat(uids).doesNotHaveDuplicates()
                .allSatisfy(uid -> assertThat(Long.parseLong(uid)).isGreaterThanOrEqualTo(65_536));
    }

    /** Deploys probe function {@code name} and makes it run two instances at once (one per concurrent call). */
    protected List<JsonNode> twoInstances(String name) {
        deployProbe(name, "go", "{concurrency: 1, maxInstances: 2}");
        var a = CompletableFuture.supplyAsync(() -> isola.get("/function/" + name + "/sleep?ms=1500"));
        var b = CompletableFuture.supplyAsync(() -> isola.get("/function/" + name + "/sleep?ms=1500"));
        assertThat(List.of(a.join(), b.join())).extracting(HttpResponse::statusCode).containsExactly(200, 200);
        List<JsonNode> live = instances(name);
        assertThat(live).hasSize(2);
        return live;
    }

    /** Whether the backend keeps sandboxes created ahead of need ({@code scaling.standby}): runc, crun, runsc. */
    protected boolean offersStandby() {
        return false;
    }

    /**
     * A start takes the standby sandbox (the instance has its id), which runs the function under the same filter and
     * network isolation as any instance; a replacement is made; removing the function removes it (and the leak checks
     * after the test find nothing beyond what the server lists).
     */
    /**
     * runc and crun give a container's stdio files to its uid as they create it: the console, in Isola's state
     * directory, would be the function's to reopen, map and write past what the host's reader bounds. And the
     * function may not dump core.
     */
    @Test
    void console_staysTheHosts_theFunctionCannotReopenIt_norDumpCore() throws IOException {
        Assumptions.assumeTrue(ownHostUidPerInstance(), () -> backend() + " has no host uid per instance");
        deployProbe("c-console", "go", "{maxInstances: 1}");
        HttpResponse<String> reopen = isola.get("/function/c-console/reopen-stdout");
        assertThat(reopen.body()).as("%s", reopen).startsWith("failed: ").contains("permission denied");
        String id = isola.instances().stream().filter(i -> i.get("function").asText().equals("c-console"))
                .findFirst().orElseThrow().get("id").asText();
        Path console = isola.stateDir().resolve("run").resolve(id).resolve("console");
        assertThat(Files.getAttribute(console, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS)).isEqualTo(0);
        assertThat(isola.get("/function/c-console/corelimit").body())
                .as("no core dumps: a piped core_pattern runs the host's helper, as root, for each crash")
                .isEqualTo("0 0");
    }

    @Test
    void standby_aStartTakesACreatedSandbox_isolatedAsAnyOther_andIsReplaced() throws Exception {
        Assumptions.assumeTrue(offersStandby(), () -> backend() + " keeps no sandboxes on standby");
        deployProbe("c-standby", "go", "{maxInstances: 2, standby: 1}");
        String standbyId = awaitStates("c-standby", List.of("standby")).getFirst().get("id").asText();

        HttpResponse<String> r = isola.get("/function/c-standby/env?name=GREETING");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello-from-manifest\n");
        assertThat(r.headers().firstValue("X-Isola-Instance")).hasValue(standbyId);
        assertThat(r.headers().firstValue("X-Isola-Cold-Start")).hasValue("true");
        if (filtersSyscalls()) {
            assertThat(isola.get("/function/c-standby/keyctl").body()).isEqualTo("failed: operation not permitted");
        }
        try (ServerSocket hostPort = new ServerSocket(0, 50, InetAddress.getByName("0.0.0.0"))) {
            assertThat(isola.get("/function/c-standby/dial?addr=10.200.0.1:" + hostPort.getLocalPort()).body())
                    .as("a host port").startsWith("failed");
        }
        List<JsonNode> after = awaitStates("c-standby", List.of("ready", "standby"));
        assertThat(after).allMatch(i -> i.get("start").asText().equals("standby"), "started from standby");
        HttpResponse<String> removed = isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/c-standby"))
                .DELETE());
        assertThat(removed.statusCode()).as(removed.body()).isBetween(200, 204);
        Await.until(Duration.ofSeconds(30), () -> isola.instances().stream()
                        .filter(i -> i.get("function").asText().equals("c-standby")).count(), n -> n == 0,
                "the instance and the standby sandbox of c-standby to go");
    }

    /** Waits until the function's instances are in exactly {@code states} (sorted). */
    private List<JsonNode> awaitStates(String function, List<String> states) {
        return Await.until(Duration.ofSeconds(60), () -> instances(function), list -> list.stream()
                .map(i -> i.get("state").asText()).sorted().toList().equals(states), function + " in " + states);
    }

    /** Whether the 502 of an out-of-memory death reliably says so (see RunscContractTest for when it cannot). */
    protected boolean namesOutOfMemory() {
        return true;
    }

    @Test
    void memoryLimit_functionExceedingIt_isKilledWithClearError() {
        HttpResponse<String> r = isola.deploy("c-oom", java.nio.file.Path.of("functions/go/alloc"),
                "name: c-oom\nruntime: go\nhandler: Handle\nlimits: {memory: 128Mi}\nscaling: {maxInstances: 1}\n"
                        + extraManifest());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(isola.get("/function/c-oom/?mib=16").statusCode()).isEqualTo(200);
        HttpResponse<String> oom = isola.get("/function/c-oom/?mib=1024");
        assertThat(oom.statusCode()).isEqualTo(502);
        assertThat(TestIsola.json(oom).get("error").asText()).isEqualTo("instance_failed");
        if (namesOutOfMemory()) {
            assertThat(TestIsola.json(oom).get("message").asText()).contains("out of memory");
        }
        HttpResponse<String> next = isola.get("/function/c-oom/?mib=16");
        assertThat(next.statusCode()).as("a fresh instance serves the next call").isEqualTo(200);
        assertThat(next.headers().firstValue("X-Isola-Cold-Start")).hasValue("true");
    }

    @Test
    void network_instanceCannotReachHostPortsOrOtherInstances() throws Exception {
        deployProbe("c-net-a", "go", "{maxInstances: 1}");
        deployProbe("c-net-b", "go", "{maxInstances: 1}");
        assertThat(isola.get("/function/c-net-b/").statusCode()).isEqualTo(200);
        String other = instances("c-net-b").getFirst().get("endpoint").asText();
        try (java.net.ServerSocket hostPort = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getByName("0.0.0.0"))) {
            String host = "10.200.0.1:" + hostPort.getLocalPort();
            try (java.net.Socket control = new java.net.Socket()) {
                control.connect(new java.net.InetSocketAddress("10.200.0.1", hostPort.getLocalPort()), 2000);
            }
            assertThat(isola.get("/function/c-net-a/dial?addr=" + host).body()).as("host port").startsWith("failed");
        }
        assertThat(isola.get("/function/c-net-a/dial?addr=" + other).body()).as("other instance").startsWith("failed");
        assertThat(isola.get("/function/c-net-a/dial?addr=127.0.0.1:8080").body()).as("itself").isEqualTo("connected");
    }

    /**
     * An "outside" network the host routes to (a namespace behind a veth, with a server in it): an instance of a
     * function with {@code egress: true} reaches it, one without does not.
     */
    @Test
    void egress_onlyFunctionsThatAskForItReachBeyondTheHost_andNeverThePrivateRanges() throws Exception {
        deployProbe("c-noegress", "go", "{maxInstances: 1}");
        HttpResponse<String> r = isola.deploy("c-egress", TestIsola.FUNCTIONS.resolve("probe"),
                manifest("c-egress", "go", "{maxInstances: 1}") + "egress: true\n");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        try (OutsideNetwork outside = OutsideNetwork.create()) {
            HttpResponse<String> with = isola.get("/function/c-egress/dial?addr=" + outside.address());
            assertThat(with.body()).as("with egress: %s", with).isEqualTo("connected");
            HttpResponse<String> lan = isola.get("/function/c-egress/dial?addr=" + outside.privateAddress());
            assertThat(lan.body()).as("egress to a private range the operator did not list: %s", lan)
                    .startsWith("failed");
            HttpResponse<String> without = isola.get("/function/c-noegress/dial?addr=" + outside.address());
            assertThat(without.body()).as("without egress: %s", without).startsWith("failed");
        }
    }
}
