package dev.isola.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

    /**
     * gVisor answers the function with its own emulated value; on the host, the function's memory is the sandbox
     * process's (runsc boot, the Sentry), a descendant of the instance's runsc process.
     */
    @Override
    protected String hostOomScoreAdj(String function, JsonNode instance) {
        ProcessHandle runsc = ProcessHandle.of(instance.get("pid").asLong()).orElseThrow();
        return runsc.descendants().filter(p -> cmdline(p).contains("boot")).findFirst()
                .map(p -> read(Path.of("/proc", Long.toString(p.pid()), "oom_score_adj")))
                .orElseThrow(() -> new AssertionError("no runsc boot process under " + runsc.pid()));
    }

    private static String cmdline(ProcessHandle p) {
        return read(Path.of("/proc", Long.toString(p.pid()), "cmdline")).replace('\0', ' ');
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
