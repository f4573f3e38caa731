package dev.isola.sandbox.spi;

import dev.isola.Ticker;
import dev.isola.config.Section;
import dev.isola.host.ProcessRunner;
import dev.isola.net.InstanceNetwork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a backend is created with: its own configuration section ({@code sandbox.<type>}), the platform's state
 * directory, the host network every backend shares, the one process runner and the clock.
 *
 * @param cacheDir where backends keep what they build once and reuse (guest kernels, root skeletons)
 */
public record SandboxContext(Section settings, Path stateDir, Path cacheDir, InstanceNetwork network,
                             ProcessRunner runner, Ticker ticker) {
    /** Each instance's work directory is {@code <state>/run/<id>} until it is stopped. */
    public Path runDir() {
        return stateDir.resolve("run");
    }

    /**
     * Ids of the instances an earlier run of the platform on this state directory left: each instance has a work
     * directory until it is stopped, so after a crash these name exactly that run's sandboxes, and never another
     * Isola's on the same host.
     */
    public List<String> leftoverInstanceIds() {
        try (var dirs = Files.list(runDir())) {
            return dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
