package dev.isola.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The Linux scheduling policy of the calling thread, as the kernel reports it (0 normal, 5 idle). */
public final class SchedulingPolicy {
    public static final int SCHED_OTHER = 0;
    public static final int SCHED_IDLE = 5;

    private SchedulingPolicy() {
    }

    public static int ofCurrentThread() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            // Fields after the command name (which may hold spaces) start with the state, field 3; policy is 41.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return Integer.parseInt(fields[41 - 3]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
