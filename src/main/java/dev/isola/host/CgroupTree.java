package dev.isola.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the host's cgroups are: on a cgroup v2 host one unified hierarchy at {@code /sys/fs/cgroup}; on a v1 or
 * hybrid host (this project's CI machine) one hierarchy per controller under it, plus a controller-less
 * {@code unified}. A cgroup named by a relative path ({@code isola/<id>}) has a directory in each.
 */
public final class CgroupTree {
    public static final Path ROOT = Path.of("/sys/fs/cgroup");

    private CgroupTree() {
    }

    /** Whether this is a cgroup v2 host: the root itself lists the controllers. */
    public static boolean unified() {
        return Files.exists(ROOT.resolve("cgroup.controllers"));
    }

    /** {@code relative} under the unified hierarchy and under each v1 controller, whether it exists or not. */
    public static List<Path> everywhere(String relative) {
        List<Path> dirs = new ArrayList<>(List.of(ROOT.resolve(relative)));
        try (var controllers = Files.list(ROOT)) {
            controllers.filter(Files::isDirectory).forEach(c -> dirs.add(c.resolve(relative)));
        } catch (IOException e) {
            // No cgroup file system: nothing there.
        }
        return dirs;
    }

    /** The directory of {@code relative} in the hierarchy that controls memory. */
    public static Path memory(String relative) {
        return unified() ? ROOT.resolve(relative) : ROOT.resolve("memory").resolve(relative);
    }

    /** The directory of {@code relative} in the hierarchy that controls the number of tasks. */
    public static Path pids(String relative) {
        return unified() ? ROOT.resolve(relative) : ROOT.resolve("pids").resolve(relative);
    }

    /**
     * Kills (SIGKILL) every process in cgroup {@code dir} itself; whether there was any. Only for cgroups that
     * nothing but Isola's own processes join.
     */
    public static boolean killMembers(Path dir) {
        boolean any = false;
        try {
            for (String line : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                if (!line.isBlank()) {
                    any = true;
                    ProcessHandle.of(Long.parseLong(line.strip())).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone, or nothing to kill
        }
        return any;
    }

    /** Whether no process is in cgroup {@code dir} itself (its children are not looked at); false if unreadable. */
    public static boolean withoutProcesses(Path dir) {
        try {
            return Files.readString(dir.resolve("cgroup.procs")).isBlank();
        } catch (IOException e) {
            return false;
        }
    }
}
