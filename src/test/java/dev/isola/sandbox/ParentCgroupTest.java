package dev.isola.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.config.NodeConfig;
import dev.isola.dispatch.NodeBudget;
import dev.isola.host.CgroupTree;
import dev.isola.sandbox.spi.ParentCgroup;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node's memory for sandboxes as a kernel limit: a real server sets it on the parent cgroup {@code isola} at
 * start, a runc container's cgroup is under that parent, and the stop removes the parent it made.
 */
@NoLeaks
class ParentCgroupTest {
    private static final Path PARENT = CgroupTree.memory("isola");

    @BeforeEach
    void needsRootAndAFreeParent() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (cgroups)");
        // One left by someone else is theirs: the test could not tell its removal from a leftover.
        Assumptions.assumeFalse(Files.exists(PARENT), PARENT + " exists already (another Isola's, or the operator's)");
        Assumptions.assumeFalse(Files.exists(CgroupTree.pids("isola")), "the pids hierarchy's isola exists already");
    }

    @Test
    void serverStart_limitsParentCgroupToNodeMemory_andRuncInstanceLivesUnderIt() throws Exception {
        Assumptions.assumeTrue(TestHost.runner().executables().find("runc").isPresent(), "runc is not installed");
        long nodeMemory = 3L << 30;
        try (TestIsola isola = TestIsola.start("runc",
                c -> c.withNode(new NodeConfig(NodeConfig.defaults().maxInstances(), nodeMemory)))) {
            assertThat(limit()).isEqualTo(nodeMemory);
            assertThat(Files.readString(CgroupTree.pids("isola").resolve("pids.max")).strip())
                    .as("the tasks of all sandboxes together").isEqualTo(Long.toString(ParentCgroup.sandboxTasks()));

            HttpResponse<String> deployed = isola.deploy("hello", Path.of("functions/go/hello"),
                    "name: hello\nruntime: go\nhandler: Handle\n");
            assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
            assertThat(isola.get("/function/hello/").statusCode()).isEqualTo(200);
            JsonNode instance = isola.instances().getFirst();
            String id = instance.get("id").asText();
            assertThat(PARENT.resolve(id)).as("the instance's cgroup, under the parent").isDirectory();
            assertThat(memoryCgroupOf(instance.get("pid").asLong())).isEqualTo("/isola/" + id);
        }
        assertThat(PARENT).as("removed at stop: the server made it").doesNotExist();
        assertThat(CgroupTree.pids("isola")).doesNotExist();
    }

    @Test
    void defaultNodeMemory_isTheLimit() throws Exception {
        try (TestIsola isola = TestIsola.start("process")) {
            long nodeMemory = NodeBudget.forHost(1, 0).use().maxMemoryBytes();
            // The kernel keeps whole pages (4 KiB on x86, up to 64 KiB elsewhere): the default is not page-aligned.
            assertThat(limit()).isLessThanOrEqualTo(nodeMemory).isGreaterThan(nodeMemory - (64 << 10));
        }
        assertThat(PARENT).doesNotExist();
        assertThat(CgroupTree.pids("isola")).as("made at start beside it, removed with it").doesNotExist();
    }

    /** The parent's memory limit, as the kernel keeps it. */
    private static long limit() throws IOException {
        String value = Files.readString(PARENT.resolve(CgroupTree.unified() ? "memory.max" : "memory.limit_in_bytes"))
                .strip();
        return Long.parseLong(value);
    }

    /** The memory cgroup of process {@code pid}: its v1 {@code memory} line, or the v2 {@code 0::} line. */
    private static String memoryCgroupOf(long pid) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"));
        return lines.stream().map(l -> l.split(":", 3))
                .filter(f -> CgroupTree.unified() ? f[0].equals("0") : List.of(f[1].split(",")).contains("memory"))
                .map(f -> f[2]).findFirst().orElseThrow();
    }
}
