package dev.isola.function;

import dev.isola.host.BoundedCgroup;
import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.FileTrees;
import dev.isola.host.ProcessRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a build of uploaded code runs: never as the platform itself. As root, each build gets namespaces of its own
 * (mount, network: only a loopback that is down, pid, ipc, uts), runs as the unprivileged {@value #BUILD_ID}
 * (no capabilities, no new privileges), sees the sources at {@code /mnt/src}, writes only {@code /mnt/out}, a
 * private {@code /mnt/home} and {@code /mnt/tmp} (a 2 GiB tmpfs in all), and finds the platform's state and cache
 * directories covered by empty ones. Each process may use 4 GiB of data and write files of 1 GiB, and the build
 * user {@value #MAX_PROCESSES} processes; at most {@value #CONCURRENT_BUILDS} builds run at once, others wait.
 *
 * <p>Go's build cache is shared but cannot be poisoned: its trusted part, the standard library compiled once by a
 * build of no uploaded code ({@link #warmUp}), is the read-only lower layer of an overlay whose upper layer lives
 * and dies with one build. A build reads every standard package from it (a hello world builds in about 1 s instead
 * of 38 s from nothing) and can change nothing another build will read.
 *
 * <p>Not as root (development only: then only the process backend runs at all), builds run directly with a
 * private cache, as before.
 */
final class BuildJail {
    /** An id no account on a Debian host uses; files the build writes belong to it until they are handed back. */
    static final int BUILD_ID = 2_147_000_000;
    static final int CONCURRENT_BUILDS = 2;
    static final int MAX_PROCESSES = 512;
    /**
     * Where each build's cgroup goes: apart from the instances' {@code isola/}, which a server makes and removes
     * with its sandboxes, since builds also run (and end) without one. Start-up removes a crashed run's.
     */
    static final String CGROUP_PARENT = "isola-build";
    /** The build user's processes and the jail's own (root's) together. */
    private static final int CGROUP_MAX_PROCESSES = MAX_PROCESSES + 64;
    /** The standard packages functions import most; others compile in each build's own layer (a few seconds). */
    private static final List<String> WARM_PACKAGES = List.of("net/http", "encoding/json", "os/exec", "crypto/sha256",
            "crypto/tls", "compress/gzip", "html/template", "text/template", "image/png", "image/jpeg", "math/big",
            "regexp", "mime/multipart", "encoding/csv", "encoding/base64", "encoding/hex", "database/sql", "log",
            "flag", "sort", "net/http/httputil", "os/signal", "strconv", "time", "context", "bufio");
    private static final String READY_MARKER = ".isola-ready";
    /** About 40 s on two busy cores. */
    private static final Duration WARM_UP_TIMEOUT = Duration.ofMinutes(10);
    /**
     * Runs as root inside the new namespaces, with arguments the platform chose (no uploaded name reaches it):
     * mounts the build's view, hides the platform's directories, then becomes the build user.
     */
    private static final String SCRIPT = """
            set -e
            src=$1 out=$2 lower=$3 uid=$4 hide1=$5 hide2=$6
            shift 6
            mount -t tmpfs -o size=2g,mode=0755 isola-build /mnt
            mkdir /mnt/src /mnt/out /mnt/cache /mnt/upper /mnt/work /mnt/home /mnt/tmp
            chown "$uid:$uid" /mnt/upper /mnt/home /mnt/tmp
            mount --bind "$src" /mnt/src
            mount --bind "$out" /mnt/out
            if [ "$uid" = 0 ]; then
              mount --bind "$lower" /mnt/cache
            else
              mount -t overlay isola-build-cache -o "lowerdir=$lower,upperdir=/mnt/upper,workdir=/mnt/work" /mnt/cache
            fi
            # The default cache lies inside the state directory: once that is hidden, the cache is gone from view.
            for hide in "$hide1" "$hide2"; do
              if [ -d "$hide" ]; then mount -t tmpfs -o size=1m,mode=0700 isola-hidden "$hide"; fi
            done
            # The host's shared scratch directories: what a build (or a handler's top level, loaded to check it)
            # writes there would outlive it, on the host's disk or in its memory. Small ones of its own instead.
            for shared in /tmp /var/tmp /dev/shm /run/lock; do
              if [ -d "$shared" ]; then mount -t tmpfs -o size=64m,mode=1777 isola-build-scratch "$shared"; fi
            done
            cd /mnt/src
            exec setpriv --reuid="$uid" --regid="$uid" --clear-groups --no-new-privs --inh-caps=-all \\
              --bounding-set=-all -- "$@"
            """;

    private final ProcessRunner runner;
    private final Optional<Path> go;
    private final boolean jailed;
    private final Path cacheDir;
    private final List<Path> hidden;
    private final Semaphore slots = new Semaphore(CONCURRENT_BUILDS, true);
    private final long memoryBytes;
    private final AtomicLong builds = new AtomicLong();

    /**
     * @param go       the Go toolchain that compiles the shared standard packages, if installed
     * @param cacheDir where Go's caches live
     * @param hidden   directories the build must not see (the platform's state directory; the cache directory is
     *                 hidden too)
     */
    BuildJail(ProcessRunner runner, Optional<Path> go, boolean jailed, Path cacheDir, Path hidden) {
        this(runner, go, jailed, cacheDir, hidden, defaultMemoryBytes());
    }

    /** @param memoryBytes the memory each build may take, all its processes and scratch files together */
    BuildJail(ProcessRunner runner, Optional<Path> go, boolean jailed, Path cacheDir, Path hidden, long memoryBytes) {
        this.memoryBytes = memoryBytes;
        if (jailed) {
            BoundedCgroup.removeLeftovers(CGROUP_PARENT, BuildJail::ofAnEndedRun);
            BoundedCgroup.removeParentIfEmpty(CGROUP_PARENT);
        }
        this.runner = runner;
        this.go = go;
        this.jailed = jailed;
        this.cacheDir = cacheDir;
        this.hidden = List.of(hidden.toAbsolutePath().normalize(), cacheDir);
    }

    boolean jailed() {
        return jailed;
    }

    /**
     * Runs {@code argv} (a go command writing where {@link #outView} says) on {@code src}, writing {@code out}, with
     * {@code environment}; waits for a free build slot first. The runner kills the whole tree at the deadline.
     */
    CommandResult run(Path src, Path out, Map<String, String> environment, List<String> argv, Duration timeout,
                      int outputLimit) throws IOException {
        acquire();
        try {
            if (!jailed) {
                return runner.result(Command.of(argv).in(src).withEnvironment(environment).withTimeout(timeout)
                        .withOutputLimit(outputLimit));
            }
            warmUp();
            FileTrees.chown(src, BUILD_ID, false);
            FileTrees.chown(out, BUILD_ID, false);
            try {
                return jailed(jail(src, out, BUILD_ID, environment, argv), timeout, outputLimit);
            } finally {
                FileTrees.chown(out, 0, false);
            }
        } finally {
            slots.release();
        }
    }

    /**
     * Runs {@code argv} in {@code dir} (seen at {@code /mnt/src} when jailed), which it only reads: the check of a
     * built artefact, such as loading a Node.js handler module. Nothing of it is handed to the build user, and no Go
     * cache is prepared. Same jail, limits and build slots as {@link #run}.
     */
    CommandResult check(Path dir, Map<String, String> environment, List<String> argv, Duration timeout,
                        int outputLimit) throws IOException {
        acquire();
        try {
            if (!jailed) {
                return runner.result(Command.of(argv).in(dir).withEnvironment(environment).withTimeout(timeout)
                        .withOutputLimit(outputLimit));
            }
            Path scratch = Files.createTempDirectory(dir.toAbsolutePath().getParent(), "check-");
            try {
                return jailed(jail(dir, scratch, BUILD_ID, environment, argv), timeout, outputLimit);
            } finally {
                FileTrees.deleteQuietly(scratch);
            }
        } finally {
            slots.release();
        }
    }

    /** The whole environment of a check: the platform's {@code PATH} and a home and temporary directory. */
    Map<String, String> checkEnvironment() {
        return jailed
                ? Map.of("PATH", runner.executables().pathVariable(), "HOME", "/mnt/home", "TMPDIR", "/mnt/tmp")
                : Map.of("PATH", runner.executables().pathVariable(), "HOME", cacheDir.toString());
    }

    /** Where the build writes {@code out}, as it sees it. */
    Path outView(Path out) {
        return jailed ? Path.of("/mnt/out") : out;
    }

    /**
     * The whole environment of a Go build: offline, static, and nothing of the operator's shell, user go env file or
     * a parent directory's go.work may change it. The shared standard packages are compiled with the same one, so
     * that builds find them.
     */
    Map<String, String> goEnvironment() {
        Map<String, String> env = new HashMap<>(Map.of(
                "PATH", runner.executables().pathVariable(),
                "CGO_ENABLED", "0",
                "GOTOOLCHAIN", "local",
                "GOPROXY", "off",
                "GOFLAGS", "-mod=mod",
                "GOENV", "off",
                "GOWORK", "off"));
        if (jailed) {
            env.putAll(Map.of("HOME", "/mnt/home", "TMPDIR", "/mnt/tmp", "GOCACHE", "/mnt/cache",
                    "GOPATH", "/mnt/home/gopath"));
        } else {
            env.putAll(Map.of("HOME", cacheDir.toString(), "GOCACHE", cacheDir.resolve("go-build").toString(),
                    "GOPATH", cacheDir.resolve("gopath").toString()));
        }
        return env;
    }

    /**
     * Compiles the standard packages into the shared lower layer, once per cache directory: as root in the same
     * namespaces, from no uploaded file. Its directories then go to the build user, so that a build's overlay can
     * add entries beside them; a build still changes nothing in the lower layer itself (an overlay never does).
     */
    private synchronized void warmUp() throws IOException {
        Path lower = lowerLayer();
        if (go.isEmpty() || Files.exists(lower.resolve(READY_MARKER))) {
            return;
        }
        Path empty = Files.createTempDirectory(cacheDir, "warm-");
        Path unused = Files.createTempDirectory(cacheDir, "warm-out-");
        try {
            List<String> argv = new ArrayList<>(List.of(go.get().toString(), "build", "-trimpath"));
            argv.addAll(WARM_PACKAGES);
            CommandResult result = jailed(jail(empty, unused, 0, goEnvironment(), argv), WARM_UP_TIMEOUT,
                    Command.DEFAULT_OUTPUT_LIMIT);
            if (!result.succeeded()) {
                throw new BuildFailedException("Failed to compile Go's standard library for builds"
                        + (result.timedOut() ? " (timed out)" : " (exit " + result.exitCode() + ")") + ": "
                        + result.output().strip());
            }
            FileTrees.chown(lower, BUILD_ID, true);
            Files.writeString(lower.resolve(READY_MARKER), "");
        } finally {
            FileTrees.deleteQuietly(empty);
            FileTrees.deleteQuietly(unused);
        }
    }

    private Path lowerLayer() throws IOException {
        return Files.createDirectories(cacheDir.resolve("go-std"));
    }

    /**
     * Runs a jail command in a cgroup of its own, which bounds the memory and processes of the build as a whole:
     * the per-process limits do not see many processes together, shared memory or the scratch tmpfs. The launch
     * shell joins the cgroup before it becomes {@code unshare}, so everything of the build is inside. A build that
     * takes more is killed by the kernel's OOM killer, inside its cgroup, and fails.
     */
    private CommandResult jailed(List<String> jail, Duration timeout, int outputLimit) throws IOException {
        try (BoundedCgroup cgroup = BoundedCgroup.create(CGROUP_PARENT, "b" + builds.incrementAndGet() + "-"
                + ProcessHandle.current().pid(), memoryBytes, CGROUP_MAX_PROCESSES)) {
            List<String> argv = new ArrayList<>(List.of("sh", "-c",
                    "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 125; shift; done; shift; exec \"$@\"",
                    "isola-build-cgroup"));
            cgroup.procsFiles().forEach(f -> argv.add(f.toString()));
            argv.add("--");
            argv.addAll(jail);
            CommandResult result = runner.result(Command.of(argv).withTimeout(timeout).withOutputLimit(outputLimit));
            cgroup.close();
            BoundedCgroup.removeParentIfEmpty(CGROUP_PARENT);
            if (result.exitCode() == 137 && !result.timedOut()) {
                return new CommandResult(result.exitCode(), false, result.output() + "\n[isola: the build was "
                        + "killed: it took more than its " + (memoryBytes >> 20) + " MiB of memory, or was signalled]");
            }
            return result;
        }
    }

    /**
     * Whether build cgroup {@code name} ({@code b<n>-<pid>}) is a crashed run's: the run that made it is gone.
     * Another Isola's builds, under way on this host, are left alone.
     */
    static boolean ofAnEndedRun(String name) {
        int dash = name.lastIndexOf('-');
        try {
            return dash > 0 && ProcessHandle.of(Long.parseLong(name.substring(dash + 1))).isEmpty();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** A quarter of the host's memory, at most 4 GiB: two builds at once leave the node half of it. */
    static long defaultMemoryBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return Math.min(4L << 30, kib * 1024 / 4);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return 1L << 30;
    }

    private List<String> jail(Path src, Path out, int uid, Map<String, String> environment, List<String> argv)
            throws IOException {
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--net", "--ipc", "--uts", "--pid",
                "--fork", "--kill-child", "--mount-proc", "sh", "-c", SCRIPT, "isola-build", src.toString(),
                out.toString(), lowerLayer().toString(), Integer.toString(uid), hidden.get(0).toString(),
                hidden.get(1).toString(), "prlimit", "--nproc=" + MAX_PROCESSES, "--data=" + (4L << 30),
                "--fsize=" + (1L << 30), "--", "env", "-i"));
        environment.forEach((k, v) -> command.add(k + "=" + v));
        command.addAll(argv);
        return command;
    }

    private void acquire() {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildFailedException("interrupted while waiting for a build slot");
        }
    }
}
