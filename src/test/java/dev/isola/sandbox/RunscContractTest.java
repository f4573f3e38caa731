package dev.isola.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The container contract on {@code runsc} (gVisor, ptrace platform by default). */
class RunscContractTest extends IsolationContractTest {
    @Override
    public String backend() {
        return "runsc";
    }

    /**
     * Under gVisor the limit surfaces inside the sandbox: the Go runtime's allocation fails and it exits with its own
     * "fatal error: runtime: out of memory" (status 2), which gVisor relays to the platform sometimes only after the
     * 502 went out. The instance is still replaced; only the wording is not guaranteed.
     */
    @Override
    protected boolean namesOutOfMemory() {
        return false;
    }

    @Override
    protected boolean filtersSyscalls() {
        return false;
    }

    @Override
    protected boolean offersStandby() {
        return true;
    }

    /**
     * gVisor answers the function with its own emulated value; on the host, the function's memory is the sandbox
     * process's (runsc boot, the Sentry): the instance's pid, since the container runs detached.
     */
    @Override
    protected String hostOomScoreAdj(String function, JsonNode instance) {
        String pid = instance.get("pid").asText();
        assertThat(read(Path.of("/proc", pid, "cmdline")).replace('\0', ' ')).as("the sandbox process")
                .contains("boot");
        return read(Path.of("/proc", pid, "oom_score_adj"));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
