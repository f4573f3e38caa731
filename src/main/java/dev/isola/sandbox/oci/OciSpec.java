package dev.isola.sandbox.oci;

import dev.isola.function.Limits;
import dev.isola.sandbox.spi.OomScore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OCI runtime spec (config.json, version 1.0.2) of one instance: read-only root, the artefact bind-mounted
 * read-only at {@code /fn}, tmpfs {@code /tmp}, no capabilities, no new privileges, user nobody, its own pid, ipc,
 * uts, mount and (pre-made) network namespace, and cgroup limits for memory (swap included), CPU quota and pids.
 */
final class OciSpec {
    static final int NOBODY = 65534;
    private static final long CPU_PERIOD = 100_000;
    private static final int PIDS_LIMIT = 1024;

    private OciSpec() {
    }

    /**
     * @param uid       the host uid and gid the function runs as (its own per instance, or {@link #NOBODY})
     * @param openFiles its open-file limit ({@link dev.isola.sandbox.spi.InstanceSpec#openFiles()})
     */
    static Map<String, Object> create(Path rootfs, Path artifact, List<String> args, List<String> env,
                                      List<Path> hostFiles, String netnsPath, String cgroupsPath, Limits limits,
                                      boolean seccomp, int uid, int openFiles) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("ociVersion", "1.0.2");
        Map<String, Object> process = new LinkedHashMap<>();
        process.put("terminal", false);
        process.put("user", Map.of("uid", uid, "gid", uid));
        process.put("args", args);
        process.put("env", env);
        process.put("cwd", "/fn");
        List<String> none = List.of();
        process.put("capabilities", Map.of("bounding", none, "effective", none, "permitted", none,
                "inheritable", none, "ambient", none));
        // No core dumps: with a piped core_pattern each crash runs the host's root helper outside the sandbox,
        // reading the crashed process and writing host disk; the limit would otherwise be Isola's own.
        process.put("rlimits", List.of(Map.of("type", "RLIMIT_NOFILE", "hard", openFiles, "soft", openFiles),
                Map.of("type", "RLIMIT_CORE", "hard", 0, "soft", 0)));
        process.put("noNewPrivileges", true);
        process.put("oomScoreAdj", OomScore.SANDBOX);
        spec.put("process", process);
        spec.put("root", Map.of("path", rootfs.toString(), "readonly", true));
        spec.put("hostname", "fn");
        spec.put("mounts", mounts(artifact, hostFiles));
        Map<String, Object> linux = new LinkedHashMap<>();
        linux.put("namespaces", List.of(Map.of("type", "pid"), Map.of("type", "ipc"), Map.of("type", "uts"),
                Map.of("type", "mount"), Map.of("type", "network", "path", netnsPath)));
        linux.put("cgroupsPath", cgroupsPath);
        linux.put("resources", Map.of(
                "memory", Map.of("limit", limits.memoryBytes(), "swap", limits.memoryBytes()),
                "cpu", Map.of("quota", Math.round(limits.cpus() * CPU_PERIOD), "period", CPU_PERIOD),
                "pids", Map.of("limit", PIDS_LIMIT)));
        // Docker's list: host details and side channels (powercap's energy counters tell what other tenants compute).
        linux.put("maskedPaths", List.of("/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                "/sys/firmware", "/sys/devices/virtual/powercap"));
        linux.put("readonlyPaths", List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"));
        if (seccomp) {
            linux.put("seccomp", SeccompProfile.spec());
        }
        spec.put("linux", linux);
        return spec;
    }

    private static List<Map<String, Object>> mounts(Path artifact, List<Path> hostFiles) {
        List<Map<String, Object>> mounts = new ArrayList<>();
        mounts.add(mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
        mounts.add(mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
        mounts.add(mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777",
                "size=65536k")));
        mounts.add(mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        mounts.add(mount("/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777", "size=262144k")));
        mounts.add(mount("/fn", "bind", artifact.toString(), List.of("rbind", "ro", "nosuid", "nodev")));
        for (Path file : hostFiles) {
            mounts.add(mount(file.toString(), "bind", file.toString(), List.of("bind", "ro", "nosuid", "nodev")));
        }
        return mounts;
    }

    private static Map<String, Object> mount(String destination, String type, String source, List<String> options) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        m.put("options", options);
        return m;
    }
}
