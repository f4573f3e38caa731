package dev.isola.sandbox;

import dev.isola.config.StateDirs;
import dev.isola.config.TrustPolicy;
import dev.isola.testing.Await;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The contract on the {@code process} backend. */
class ProcessContractTest extends SandboxContractTest {
    @Override
    public String backend() {
        return "process";
    }

    /**
     * As root, a function runs as an unprivileged uid of its own: it cannot read Isola's state or the host's secrets,
     * still has a scratch directory, and its copy of the artefact and its scratch directory go with it.
     */
    @Test
    void asRoot_theFunctionRunsAsItsOwnUnprivilegedUid_andCannotReadIsolasState() throws Exception {
        Assumptions.assumeTrue(TrustPolicy.runningAsRoot(), "the process backend drops privileges only as root");
        deployProbe("c-uid", "go", "{maxInstances: 1}");

        int uid = Integer.parseInt(isola.get("/function/c-uid/uid").body());
        String token = StateDirs.adminTokenFile(isola.stateDir()).toString();

        assertThat(uid).isBetween(270_000, 270_000 + 65_535);
        assertThat(isola.get("/function/c-uid/read?path=" + URLEncoder.encode(token, StandardCharsets.UTF_8))
                .body()).startsWith("failed:").contains("permission denied");
        assertThat(isola.get("/function/c-uid/read?path=/etc/shadow").body()).startsWith("failed:");
        assertThat(isola.get("/function/c-uid/tmpwrite").body()).isEqualTo("ok");
        assertThat(isola.get("/function/c-uid/read?path=/proc/1/environ").body()).startsWith("failed:");

        HttpResponse<String> removed = isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/c-uid"))
                .DELETE());
        assertThat(removed.statusCode()).isEqualTo(204);
        Await.until(Duration.ofSeconds(10), () -> processesOf(uid), List::isEmpty,
                "no process of the instance's uid " + uid + " to be left");
        // DELETE answers before its instances have stopped: the scratch directory goes once the uid is clear.
        Path scratch = isola.stateDir().resolveSibling(isola.stateDir().getFileName() + ".process").resolve("tmp");
        Await.until(Duration.ofSeconds(10), () -> scratchDirectories(scratch),
                names -> names.stream().noneMatch(name -> name.startsWith("c-uid.")), "its scratch directory to go");
    }

    /**
     * A function that forks for ever, detached: killing each process listed left those forked after the listing
     * running past the stop; a kill made as the uid ends them all at once.
     */
    @Test
    void asRoot_aFunctionThatForksForEver_leavesNoProcessWhenRemoved() throws Exception {
        Assumptions.assumeTrue(TrustPolicy.runningAsRoot(), "the process backend drops privileges only as root");
        deployProbe("c-fork", "go", "{maxInstances: 1}");
        int uid = Integer.parseInt(isola.get("/function/c-fork/uid").body());
        assertThat(isola.get("/function/c-fork/forkloop").body()).isEqualTo("started");
        Await.until(Duration.ofSeconds(10), () -> processesOf(uid), p -> p.size() >= 50,
                "the function's processes to multiply");

        assertThat(isola.admin(HttpRequest.newBuilder(isola.uri("/system/functions/c-fork")).DELETE())
                .statusCode()).isEqualTo(204);

        Await.until(Duration.ofSeconds(10), () -> processesOf(uid), List::isEmpty,
                "no process of the instance's uid " + uid + " to be left");
    }

    private static List<String> scratchDirectories(Path dir) throws java.io.IOException {
        try (var left = Files.list(dir)) {
            return left.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static List<Long> processesOf(int uid) {
        return ProcessHandle.allProcesses().map(ProcessHandle::pid).filter(pid -> {
            try {
                return Files.readAllLines(Path.of("/proc", pid.toString(), "status")).stream()
                        .anyMatch(l -> l.startsWith("Uid:") && l.substring(4).strip().startsWith(uid + "\t"));
            } catch (java.io.IOException e) {
                return false;
            }
        }).toList();
    }
}
