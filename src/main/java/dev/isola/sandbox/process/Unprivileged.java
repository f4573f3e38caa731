package dev.isola.sandbox.process;

import dev.isola.function.Artifact;
import dev.isola.host.Command;
import dev.isola.host.Executables;
import dev.isola.host.FileTrees;
import dev.isola.host.ProcessRunner;
import dev.isola.host.Uninterrupted;
import dev.isola.sandbox.spi.SandboxException;
import dev.isola.sandbox.spi.SandboxUids;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * How the process backend runs functions when Isola runs as root: each instance as its own unprivileged uid and gid
 * ({@link SandboxUids}, {@code sandbox.process.uidBase}), with no supplementary groups, no capabilities, no new
 * privileges, at most {@value #MAX_PROCESSES} processes and the instance's open-file limit ({@code prlimit} then
 * {@code setpriv}, both util-linux).
 * It is still no sandbox (same network, same view of the host's files), but a function can no longer read Isola's
 * state, write the host's files, signal or trace other instances, or leave processes behind: every process of the
 * instance's uid is killed when it stops.
 *
 * <p>The state directory is the platform's alone (0700), so the function cannot reach its artefact there. Each
 * version's artefact is copied once, readable by all, into {@code <stateDir>.process/<random>/} (the parent 0711:
 * not listable, so one function cannot find another's copy), and each instance gets a scratch directory there that
 * only its uid may use ({@code TMPDIR}, {@code HOME}). Copies whose version is gone are removed when a new copy is
 * made; the whole directory at start-up (a crashed run's) and at shutdown.
 */
final class Unprivileged {
    static final int MAX_PROCESSES = 512;
    private static final String TMP = "tmp";
    /** An artefact is at most {@code maxArchiveBytes} unpacked on a local disk; minutes mean a disk in trouble. */
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(5);

    private final SandboxUids uids;
    private final Path dir;
    private final Map<Path, Path> copies = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    /**
     * Variables that change what a dynamically linked program loads or finds: the loader ignores them in setuid
     * programs, but prlimit and setpriv run as root without that secure mode, so from a manifest they would run the
     * archive's code as root ({@code LD_PRELOAD=./x.so}, or a {@code PATH} in which prlimit finds the archive's
     * {@code setpriv}). glibc's list of such variables, and {@code PATH}.
     */
    private static final Set<String> LOADER_VARIABLES = Set.of("PATH", "GCONV_PATH", "GETCONF_DIR", "HOSTALIASES",
            "LOCALDOMAIN", "LOCPATH", "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR", "TZDIR");

    private final ProcessRunner runner;
    private final Executables executables;

    /** An instance's share: its uid, the artefact it runs from and its scratch directory. */
    record Run(int uid, Path root, Path tmp) {
    }

    Unprivileged(SandboxUids uids, Path stateDir, ProcessRunner runner) {
        this.uids = uids;
        this.runner = runner;
        this.executables = runner.executables();
        this.dir = stateDir.toAbsolutePath().resolveSibling(stateDir.getFileName() + ".process");
    }

    Path dir() {
        return dir;
    }

    /**
     * {@code argv} run as the instance's uid, limited (to {@code openFiles} open files among the rest), with the
     * platform's variables and the function's. The root helpers run from absolute paths and never see a variable of
     * the function's that changes how a program loads ({@link #LOADER_VARIABLES}, {@code LD_*}, {@code MALLOC_*}):
     * those are set after the drop, by {@code env}, for the function alone.
     */
    Command command(Run run, List<String> argv, int openFiles, Map<String, String> platform,
                    Map<String, String> function) {
        Map<String, String> helpers = new HashMap<>();
        Map<String, String> afterDrop = new TreeMap<>();
        function.forEach((key, value) -> (loaderVariable(key) ? afterDrop : helpers).put(key, value));
        helpers.putAll(platform);
        List<String> command = new ArrayList<>(List.of(executables.require("prlimit").toString(),
                "--nproc=" + MAX_PROCESSES + ":" + MAX_PROCESSES, "--nofile=" + openFiles + ":" + openFiles, "--",
                executables.require("setpriv").toString(), "--reuid=" + run.uid(), "--regid=" + run.uid(),
                "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"));
        if (!afterDrop.isEmpty()) {
            if (argv.getFirst().contains("=")) { // env would read it as one more variable
                throw new SandboxException("Failed to run '" + argv.getFirst() + "' with its own " + afterDrop.keySet()
                        + ": its path contains '='");
            }
            command.add(executables.require("env").toString());
            afterDrop.forEach((key, value) -> command.add(key + "=" + value));
        }
        command.addAll(argv);
        return Command.of(command).withEnvironment(helpers);
    }

    static boolean loaderVariable(String key) {
        return key.startsWith("LD_") || key.startsWith("MALLOC_") || LOADER_VARIABLES.contains(key);
    }

    /**
     * The first directory above {@link #dir} that other users may not search ({@code o+x}), if any: the instances'
     * uids could not reach their copies through it (a state directory inside a 0700 {@code mktemp -d}).
     */
    Optional<Path> closedAncestor() {
        for (Path p = dir.getParent(); p != null; p = p.getParent()) {
            try {
                if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return Optional.of(p);
                }
            } catch (IOException e) {
                // Not there yet: created later with the default 0755.
            }
        }
        return Optional.empty();
    }

    SandboxUids uids() {
        return uids;
    }

    /** A uid, the readable copy of the artefact and a scratch directory for instance {@code id}. */
    Run prepare(String id, Artifact artifact) {
        int uid = uids.acquire(id);
        try {
            Path root = copyOf(artifact.root());
            Path tmp = Files.createDirectory(dir.resolve(TMP).resolve(id));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
            FileTrees.chown(tmp, uid, false);
            return new Run(uid, root, tmp);
        } catch (IOException | RuntimeException e) {
            uids.release(uid);
            throw new SandboxException("Failed to prepare the unprivileged run of instance " + id + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * After the instance's process has exited: kills whatever else still runs as its uid (a daemon it started),
     * then removes its scratch directory and gives the uid back. Runs to its end on an interrupted thread too (a
     * drain aborting a start): else it would not wait for the kill, and delete while the function still ran.
     *
     * <p>The kill is {@code kill(-1)} made as the uid itself: the kernel signals every process of the uid at once,
     * and a process with SIGKILL pending cannot fork, so a function that forks in a loop cannot outrun it as it
     * outran a kill of each process listed (the children forked after the listing lived on). What still runs after
     * the wait (a process stuck in the kernel) keeps its directory and its uid: root deleting a directory that a
     * live function can change under it could be led (a directory swapped for a symlink) to delete elsewhere, and
     * two instances must never share a uid.
     */
    void finish(Run run) {
        Uninterrupted.run(() -> {
            killAll(run.uid());
            ProcessRecord.awaitExit(processesOf(run.uid()));
            if (processesOf(run.uid()).isEmpty()) {
                FileTrees.deleteQuietly(run.tmp());
                uids.release(run.uid());
            }
        });
    }

    /** SIGKILL to every process of {@code uid}, sent as that uid; no process left is fine. */
    private void killAll(int uid) {
        runner.result(Command.of(executables.require("setpriv").toString(), "--reuid=" + uid, "--regid=" + uid,
                // procps' kill takes "-1" after "--" or "-s KILL" for an option; after "-KILL" it is the pid -1.
                "--clear-groups", "--", executables.require("kill").toString(), "-KILL", "-1"));
    }

    /**
     * A crashed run's copies and scratch directories, removed. Its processes are found by their records
     * ({@link ProcessRecord}), not by uid: another Isola on this host may use the same range while it runs.
     */
    void reap() {
        FileTrees.deleteQuietly(dir);
    }

    void shutdown() {
        FileTrees.deleteQuietly(dir);
        copies.clear();
    }

    private Path copyOf(Path artefact) throws IOException {
        Path existing = copies.get(artefact);
        if (existing != null && Files.isDirectory(existing)) {
            return existing;
        }
        synchronized (this) {
            existing = copies.get(artefact);
            if (existing != null && Files.isDirectory(existing)) {
                return existing;
            }
            pruneCopiesOfRemovedVersions();
            Files.createDirectories(dir.resolve(TMP));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(dir.resolve(TMP), PosixFilePermissions.fromString("rwx--x--x"));
            Path copy = dir.resolve(HexFormat.of().formatHex(token()));
            Path building = dir.resolve(".building-" + copy.getFileName());
            try {
                // By cp, not in the JVM: a child that another thread spawns copies the JVM's descriptors and holds
                // them until its exec, and a program file open for writing in any process cannot be run ("Text file
                // busy"). Written by cp, the copy's files are open for writing in cp alone, and closed when it exits.
                runner.run(Command.of(executables.require("cp").toString(), "-R", "-P", "--preserve=mode,timestamps",
                        "--", artefact.toString(), building.toString()).withTimeout(COPY_TIMEOUT));
                readableByAll(building);
                Files.move(building, copy); // complete or absent: a start never runs from half a copy
            } finally {
                FileTrees.deleteQuietly(building);
            }
            copies.put(artefact, copy);
            return copy;
        }
    }

    private byte[] token() {
        byte[] token = new byte[16];
        random.nextBytes(token);
        return token;
    }

    private void pruneCopiesOfRemovedVersions() {
        copies.entrySet().removeIf(e -> {
            if (Files.isDirectory(e.getKey())) {
                return false;
            }
            FileTrees.deleteQuietly(e.getValue());
            return true;
        });
    }

    /** Directories 0755, files 0644 or, if their owner may run them, 0755; links as they are. */
    private static void readableByAll(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                boolean executable = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                        || Files.getPosixFilePermissions(p).contains(PosixFilePermission.OWNER_EXECUTE);
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(executable ? "rwxr-xr-x"
                        : "rw-r--r--"));
            }
        }
    }

    /** The processes whose real uid is {@code uid}, from {@code /proc}. */
    private static List<ProcessHandle> processesOf(int uid) {
        return ProcessHandle.allProcesses().filter(p -> realUid(p.pid()) == uid).toList();
    }

    private static long realUid(long pid) {
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "status"))) {
            return lines.filter(l -> l.startsWith("Uid:")).findFirst()
                    .map(l -> Long.parseLong(l.substring(4).strip().split("\\s+")[0])).orElse(-1L);
        } catch (IOException | RuntimeException e) {
            return -1; // gone meanwhile
        }
    }
}
