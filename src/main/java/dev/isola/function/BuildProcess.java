package dev.isola.function;

import dev.isola.IsolaException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one toolchain command to completion with a deadline, collecting its combined output up to a bound.
 *
 * <p>The output is drained on a virtual thread for the whole run (a full pipe would stall the compiler); bytes past
 * the bound are read and dropped. Past the deadline the whole process tree is killed: {@code go build} forks
 * compile and link workers that would otherwise outlive it.
 */
final class BuildProcess {
    /** Bytes kept from the tool's output; go stops after ten errors, so the head is what matters. */
    static final int MAX_OUTPUT = 64 * 1024;
    /** How long to wait for the output pipe to close once the process has ended or been killed. */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(10);

    record Result(int exitCode, boolean timedOut, String output) {
    }

    private BuildProcess() {
    }

    static Result run(ProcessBuilder builder, Duration timeout, String what) {
        builder.redirectErrorStream(true);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IsolaException("Failed to start " + what + ": " + e.getMessage(), e);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread drainer = Thread.ofVirtual().name("build-output").start(() -> drain(process.getInputStream(), output));
        try {
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                killTree(process);
                process.waitFor();
            }
            drainer.join(DRAIN_GRACE);
            String text;
            synchronized (output) {
                text = output.toString(StandardCharsets.UTF_8);
                if (output.size() >= MAX_OUTPUT) {
                    text += "\n[output truncated at " + (MAX_OUTPUT / 1024) + " KiB]";
                }
            }
            return new Result(finished ? process.exitValue() : -1, !finished, text);
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw new IsolaException("Failed to run " + what + ": interrupted", e);
        }
    }

    /**
     * Kills the process and its descendants. The handles come from our own child's live process tree, and a
     * {@link ProcessHandle} pins the start time as well as the pid, so a recycled pid is not hit. Descendants are
     * listed before the parent dies, because afterwards they are re-parented and no longer found.
     */
    private static void killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    private static void drain(InputStream in, ByteArrayOutputStream output) {
        byte[] buffer = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buffer)) != -1; ) {
                synchronized (output) {
                    int keep = Math.min(n, MAX_OUTPUT - output.size());
                    if (keep > 0) {
                        output.write(buffer, 0, keep);
                    }
                }
            }
        } catch (IOException e) {
            // The pipe closes under us when the process is killed; what was read so far is still reported.
        }
    }
}
