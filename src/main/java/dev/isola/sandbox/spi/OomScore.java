package dev.isola.sandbox.spi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whom the host's OOM killer takes first when memory runs out: a sandbox, never the platform that serves every
 * function. Sandboxes run with {@code oom_score_adj} {@value #SANDBOX}; the service unit lowers Isola's JVM (and
 * with it the runtimes it starts, which inherit it). Each backend raises its sandboxes its own way: the OCI spec's
 * {@code process.oomScoreAdj}, the VM's launcher script, {@link #raise(long)} for a plain child.
 */
public final class OomScore {
    public static final int SANDBOX = 500;

    private OomScore() {
    }

    /**
     * Raises process {@code pid} (a child just started, so its pid is still its own) to {@link #SANDBOX}; what it
     * starts later inherits that. Root may; anyone else gets the IOException.
     */
    public static void raise(long pid) throws IOException {
        Files.writeString(Path.of("/proc", Long.toString(pid), "oom_score_adj"), Integer.toString(SANDBOX));
    }
}
