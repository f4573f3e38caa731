package dev.isola.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.config.IsolaConfig;
import dev.isola.server.HostBackends;
import dev.isola.testing.Await;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The isolation contract on {@code microvm} with Isola's minimal guest kernel, and QEMU's jail. The test setup builds
 * the kernel when the shared test cache lacks it (minutes, once per machine), printing progress.
 */
class MicrovmContractTest extends IsolationContractTest {
    /**
     * In a VM the Go runtime runs out of memory before the guest kernel kills it: it prints "fatal error: runtime: out
     * of memory" and exits with status 2. That line is the function's output, which goes to its logs and never to a
     * caller, so the 502 says only that it exited.
     */
    @Override
    protected boolean namesOutOfMemory() {
        return false;
    }

    @Override
    public String backend() {
        return "microvm";
    }

    /** Which guest kernel the functions of this suite ask for. */
    protected String kernel() {
        return "minimal";
    }

    @Override
    public void prepareHost() {
        hostBackends().prepare(List.of("microvm"), System.out::println);
    }

    private static HostBackends hostBackends() {
        return HostBackends.of(IsolaConfig.defaults().withBuildCache(TestIsola.sharedCacheDir()));
    }

    @Override
    protected String extraManifest() {
        return "kernel: " + kernel() + "\n";
    }

    @Override
    protected boolean filtersSyscalls() {
        return false;
    }

    /** The guest has a kernel of its own; on the host, the VM's memory is QEMU's (the instance's pid). */
    @Override
    protected String hostOomScoreAdj(String function, JsonNode instance) {
        try {
            return Files.readString(Path.of("/proc", instance.get("pid").asText(), "oom_score_adj")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Two VMs at once: each QEMU detached from Isola, as a uid of its own, without capabilities, filtered, chrooted
     * in its jail, in network, pid and IPC namespaces of its own.
     */
    @Test
    void jail_eachQemuRunsAsItsOwnUid_withoutCapabilities_inItsChrootAndNamespaces() throws IOException {
        List<JsonNode> vms = twoInstances("c-jail");

        List<String> uids = new ArrayList<>();
        List<String> namespaces = new ArrayList<>();
        for (JsonNode vm : vms) {
            Path work = isola.stateDir().resolve("run").resolve(vm.get("id").asText());
            long pid = Long.parseLong(Files.readString(work.resolve("qemu.pid")).trim());
            assertThat(vm.get("pid").asLong()).isEqualTo(pid);
            List<String> status = Files.readAllLines(Path.of("/proc/" + pid + "/status"));
            // Detached: the host's init is QEMU's parent, not Isola, so no JDK reaper thread waits for each VM.
            assertThat(Long.parseLong(field(status, "PPid:"))).isNotEqualTo(ProcessHandle.current().pid());
            String uid = field(status, "Uid:");
            assertThat(uid.split("\\s+")).as("real, effective, saved and fs uid").containsOnly(uid.split("\\s+")[0]);
            assertThat(Long.parseLong(uid.split("\\s+")[0])).isGreaterThanOrEqualTo(65_536);
            assertThat(field(status, "Gid:").split("\\s+")[0]).isEqualTo(uid.split("\\s+")[0]);
            assertThat(field(status, "CapEff:")).isEqualTo("0000000000000000");
            assertThat(field(status, "CapPrm:")).isEqualTo("0000000000000000");
            assertThat(field(status, "NoNewPrivs:")).isEqualTo("1");
            assertThat(field(status, "Seccomp:")).as("a seccomp filter").isEqualTo("2");
            List<String> argv = List.of(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
            assertThat(argv).containsSequence("-sandbox", "on,obsolete=deny,spawn=deny,resourcecontrol=deny");
            List<String> environ = List.of(Files.readString(Path.of("/proc/" + pid + "/environ")).split("\0"));
            assertThat(environ).as("nothing of Isola's environment").allMatch(v -> v.startsWith("PATH=")
                    || v.startsWith("PWD=") || v.startsWith("ISOLA_CGROUP_PROCS=") || v.startsWith("ISOLA_VM_STATE="));
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/root")))
                    .isEqualTo(work.resolve("jail").toAbsolutePath());
            uids.add(uid.split("\\s+")[0]);
            // Its own network namespace, holding nothing but a loopback that is down: no host service to reach.
            Path netns = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net"));
            assertThat(netns).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
            namespaces.add(netns.toString());
            assertThat(Files.readAllLines(Path.of("/proc/" + pid + "/net/dev")).stream().skip(2)
                    .map(l -> l.strip().split(":")[0])).containsExactly("lo");
            // The first process of a pid namespace of its own (no other process to see or signal), and an IPC
            // namespace of its own (System V limits are per namespace).
            assertThat(field(status, "NSpid:").split("\\s+")).containsExactly(Long.toString(pid), "1");
            for (String ns : List.of("pid", "ipc")) {
                Path own = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + ns));
                assertThat(own).as(ns).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/" + ns)));
                namespaces.add(own.toString());
            }
        }
        assertThat(uids).doesNotHaveDuplicates();
        assertThat(namespaces).doesNotHaveDuplicates();
    }

    /**
     * Clones (issue 17): the first instance boots and a template of it is saved; the next ones resume from it. Two
     * clones started together answer through the gateway (so each took its own address and MAC: the firewall binds
     * both to its tap), draw different random bytes, and have the host's time, not the template's.
     */
    @Test
    void clones_resumeFromTheTemplate_eachWithItsOwnAddressEntropyAndClock() throws IOException {
        deployProbe("c-clone", "go", "{concurrency: 1, maxInstances: 3}");
        HttpResponse<String> booted = isola.get("/function/c-clone/");
        assertThat(booted.statusCode()).isEqualTo(200);
        Await.until(Duration.ofMinutes(3), () -> savedTemplates("c-clone"), t -> !t.isEmpty(), "a saved template");

        // Three calls at once: the booted instance takes one, a clone starts for each of the others.
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> isola.get("/function/c-clone/random?ms=2000")));
        }
        List<HttpResponse<String>> answers = calls.stream().map(CompletableFuture::join).toList();
        assertThat(answers).extracting(HttpResponse::statusCode).containsOnly(200);
        List<String> ids = answers.stream().map(r -> r.headers().firstValue("X-Isola-Instance").orElseThrow())
                .toList();
        assertThat(ids).doesNotHaveDuplicates().contains(booted.headers().firstValue("X-Isola-Instance")
                .orElseThrow());
        assertThat(answers).extracting(r -> r.body().split(" ")[0]).as("random bytes").doesNotHaveDuplicates();
        for (HttpResponse<String> answer : answers) {
            long guestMillis = Long.parseLong(answer.body().split(" ")[1]);
            assertThat(guestMillis).as("the guest's clock").isCloseTo(System.currentTimeMillis(),
                    within(30_000L));
        }
        List<String> clones = ids.stream().filter(id -> !booted.headers().firstValue("X-Isola-Instance")
                .orElseThrow().equals(id)).toList();
        List<JsonNode> listed = instances("c-clone");
        // Why an instance booted instead (a failed clone's QEMU writes to its console) is in the function's log.
        assertThat(listed).filteredOn(i -> clones.contains(i.get("id").asText())).as(() -> listed + "\n"
                        + isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/c-clone/logs?tail=100")))
                        .body())
                .hasSize(2).allMatch(i -> i.get("start").asText().equals("clone"));
        // The console is read a moment after the guest writes it.
        Await.until(Duration.ofSeconds(30), () -> isola.admin(HttpRequest.newBuilder(
                        isola.uri("/system/functions/c-clone/logs?tail=200"))).body(),
                logs -> clones.stream().allMatch(id -> logs.contains(id + " isola-init: clone ready")),
                "both clones' init saying so");
    }

    private List<Path> savedTemplates(String function) throws IOException {
        try (var paths = Files.walk(isola.stateDir().resolve("functions").resolve(function))) {
            return paths.filter(p -> p.getFileName().toString().startsWith("template-")
                    && Files.isRegularFile(p.resolve("state"))).toList();
        }
    }

    /** Under software emulation QEMU is no security boundary: the backend then claims only a container's. */
    @Test
    void isolation_isVmOnlyUnderKvm() {
        HostBackends.BackendReport report = hostBackends().report("microvm").orElseThrow();
        boolean kvm = report.diagnostics().stream().anyMatch(l -> l.startsWith("accelerator: kvm"));
        assertThat(report.isolation()).isEqualTo(kvm ? "vm" : "container");
        assertThat(report.diagnostics()).anyMatch(l -> l.startsWith("isolation: " + (kvm ? "vm" : "container")));
    }

    private static String field(List<String> status, String name) {
        return status.stream().filter(l -> l.startsWith(name)).findFirst().orElseThrow()
                .substring(name.length()).trim();
    }
}
