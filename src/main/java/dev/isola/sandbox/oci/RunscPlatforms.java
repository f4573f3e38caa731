package dev.isola.sandbox.oci;

import dev.isola.Ticker;
import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.FileTrees;
import dev.isola.host.HostException;
import dev.isola.host.ProcessRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Which gVisor platforms work on this host, for {@code isola doctor}: {@code /bin/true} in a throw-away sandbox on
 * each, with a deadline, since on hosts whose {@code /dev/kvm} is not hardware virtualisation (kvm_pvm) the kvm
 * platform spins forever instead of failing.
 */
final class RunscPlatforms {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final ProcessRunner runner;
    private final Ticker ticker;

    RunscPlatforms(ProcessRunner runner, Ticker ticker) {
        this.runner = runner;
        this.ticker = ticker;
    }

    List<String> tryEach() {
        return RunscSandboxProvider.PLATFORMS.stream().sorted().map(p -> "platform " + p + ": " + tryPlatform(p))
                .toList();
    }

    private String tryPlatform(String platform) {
        Path root = null;
        try {
            root = Files.createTempDirectory("isola-runsc-probe-");
            long begin = ticker.nanos();
            CommandResult result = runner.result(Command.of("runsc", "--root", root.toString(),
                    "--platform=" + platform, "--network=none", "do", "/bin/true").withTimeout(DEADLINE));
            if (result.timedOut()) {
                boolean pvm = Files.exists(Path.of("/sys/module/kvm_pvm"));
                return "hangs (no result within " + DEADLINE.toSeconds() + " s" + (pvm
                        ? "; /dev/kvm here is kvm_pvm, software virtualisation that gVisor's kvm platform cannot use)"
                        : ")");
            }
            if (result.exitCode() != 0) {
                String last = result.output().isEmpty() ? "exit status " + result.exitCode()
                        : result.output().lines().reduce((a, b) -> b).orElse("");
                return "fails (" + last + ")";
            }
            return String.format("works (%.2f s)", (ticker.nanos() - begin) / 1e9);
        } catch (IOException | HostException e) {
            return "cannot be tried: " + e.getMessage();
        } finally {
            if (root != null) {
                FileTrees.deleteQuietly(root);
            }
        }
    }
}
