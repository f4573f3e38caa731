package dev.isola.sandbox.spi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Whom the host's OOM killer takes first when memory runs out: a sandbox, never the platform that serves every
 * function. Sandboxes run with {@code oom_score_adj} {@value #SANDBOX}; Isola's JVM with {@value #PLATFORM} (and
 * with it the runtimes it starts, which inherit it), set by the service unit ({@code OOMScoreAdjust}) or, when
 * started otherwise, by {@link #lowerPlatform()}. Each backend raises its sandboxes its own way: the OCI spec's
 * {@code process.oomScoreAdj}, the VM's launcher script, {@link #raise(ProcessHandle)} for a plain child.
 */
public final class OomScore {
    public static final int SANDBOX = 500;
    public static final int PLATFORM = -500;
    private static final Path SELF = Path.of("/proc/self/oom_score_adj");

    private OomScore() {
    }

    /**
     * Lowers this JVM to {@link #PLATFORM} unless it is there or lower already (an operator's choice stands); lowering
     * needs CAP_SYS_RESOURCE (root has it, unless a container it runs in took it away). Whether it is at
     * {@link #PLATFORM} or lower now; never throws: a JVM left at its score still works.
     */
    public static boolean lowerPlatform() {
        try {
            if (Integer.parseInt(Files.readString(SELF).trim()) > PLATFORM) {
                Files.writeString(SELF, Integer.toString(PLATFORM));
            }
            return true;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /**
     * Raises {@code process} (a child just started; what it starts later inherits the score) to {@link #SANDBOX}.
     * The file is opened first and written only if the process is still alive: the handle pins its start time, and
     * a file of {@code /proc/<pid>} opened while the process lived stays its own, so the score never goes to a process
     * that took over the pid. Root may; anyone else gets the IOException.
     */
    public static void raise(ProcessHandle process) throws IOException {
        try (FileChannel score = FileChannel.open(Path.of("/proc", Long.toString(process.pid()), "oom_score_adj"),
                StandardOpenOption.WRITE)) {
            if (process.isAlive()) { // else it exited meanwhile: nothing to raise, and its exit is reported
                score.write(ByteBuffer.wrap(Integer.toString(SANDBOX).getBytes(StandardCharsets.US_ASCII)));
            }
        }
    }
}
