package dev.isola.net;

import dev.isola.sandbox.spi.SandboxException;
import dev.isola.sandbox.spi.ProcessStarter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host tool (ip, runc) to completion with a deadline; a failure carries the tool's own words. */
public final class HostCommand {
    private HostCommand() {
    }

    /** Runs {@code argv} with {@code stdin}; returns its output or throws with exit status and output. */
    public static String run(List<String> argv, String stdin, Duration timeout) {
        String output = "";
        try {
            Process p = ProcessStarter.start(new ProcessBuilder(argv).redirectErrorStream(true));
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            // Output is small (tool diagnostics); reading it before waiting cannot deadlock on a full pipe.
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new SandboxException("Failed to run " + String.join(" ", argv) + ": no exit within "
                        + timeout.toSeconds() + " s");
            }
            if (p.exitValue() != 0) {
                throw new SandboxException("Failed to run " + String.join(" ", argv) + ": exit status "
                        + p.exitValue() + (output.isEmpty() ? "" : ": " + output));
            }
            return output;
        } catch (IOException e) {
            throw new SandboxException("Failed to run " + argv.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("Failed to run " + argv.getFirst() + ": interrupted", e);
        }
    }

    /**
     * {@code argv} at the lowest CPU priority (nice 19): for work nobody waits on and that runs apart from the
     * starts callers wait for (spares made ahead of need, once takes pause). Not for work during a burst: a niced
     * process holding a kernel lock the starts need (rtnl, cgroups) stalls them all.
     */
    public static List<String> inBackground(List<String> argv) {
        List<String> niced = new java.util.ArrayList<>(argv.size() + 3);
        niced.addAll(List.of("nice", "-n", "19"));
        niced.addAll(argv);
        return niced;
    }

    public static String run(List<String> argv) {
        return run(argv, "", Duration.ofSeconds(30));
    }

    /** Like {@link #run} but never throws: for clean-up, where the thing may already be gone. */
    public static void quietly(List<String> argv) {
        quietly(argv, "");
    }

    /** {@link #quietly(List)} with standard input; {@code ip -batch} goes on after a failed line with {@code -force}. */
    public static void quietly(List<String> argv, String stdin) {
        try {
            run(argv, stdin, Duration.ofSeconds(30));
        } catch (SandboxException ignored) {
            // Already gone, or nothing we can do about it now; start-up reaping catches what is left.
        }
    }
}
