package dev.isola.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a test may not leave behind: the one place that knows what of Isola's can leak and where to look for it.
 * {@link NoLeaks} and {@link IsolaServerExtension} run these checks after each test and after each class.
 *
 * <p>A test server that lives across the tests of a class legitimately holds things between them: its live
 * instances (their processes, containers, network namespaces and links, cgroups, work directories), the spare
 * network attachments its state directory records, and while it runs the bridge, the firewall tables, the parent
 * cgroups and its runtimes' mount namespaces. {@link Holdings} says what that is; anything else is a leak.
 *
 * <p>The host-wide part ({@link Scope#HOST}) cannot tell this run's things from another Isola's: it is right only
 * while this run holds the host, which the tests under {@code sandbox/} and {@code net/} do by running under the
 * shared lock {@code /tmp/isola-sandbox-tests.lock}. Tests that only start processes check {@link Scope#PROCESSES}.
 */
public final class Leaks {
    /** How long a leak check lets things settle: an instance stopped at the end of a test may take a moment to go. */
    static final Duration SETTLE = Duration.ofSeconds(30);
    private static final Path CGROUPS = Path.of("/sys/fs/cgroup");
    private static final Path NETNS = Path.of("/run/netns");
    private static final Path LINKS = Path.of("/sys/class/net");
    /** Isola's bridges: {@code isola0}, {@code isola1}, … */
    private static final Pattern BRIDGE = Pattern.compile("isola\\d+");
    private static final Set<String> FIREWALL_TABLES = Set.of("table inet isola", "table bridge isola");
    private static final List<String> RUNTIMES = List.of("runc", "crun", "runsc");
    /**
     * Parent cgroups: the container runtimes' ({@code cgroupsPath /isola/<id>}), QEMU's ({@code isola/vm/<id>}) and
     * the builds' ({@code isola-build/<n>}, removed with the last build).
     */
    private static final List<String> PARENT_CGROUPS = List.of("isola", "isola/vm", "isola-build");
    /** Host leftovers found before this test run began: a crashed earlier run's or another Isola's, not this run's. */
    private static volatile Set<String> preExisting = Set.of();

    private Leaks() {
    }

    /** Where to look. */
    public enum Scope {
        /** Child processes of this JVM, and a test server's state directory. */
        PROCESSES,
        /**
         * Also the host: runtime containers under {@code /run/isola/<runtime>}, network namespaces {@code isola-*},
         * links {@code iv*}/{@code it*} and the bridge {@code isola0}, the firewall tables {@code inet isola} and
         * {@code bridge isola}, cgroups
         * {@code isola}/{@code isola/vm} (each v1 controller and the unified hierarchy), and the runtimes' mount
         * namespaces ({@code -mntns} in {@code /proc/self/mountinfo}).
         */
        HOST
    }

    /**
     * What a test server holds legitimately at one moment.
     *
     * @param stateDir    its state directory: {@code run/} may hold only its live instances' work directories, and once
     *                    it stopped {@code run/} and {@code spare-networks/} must be empty
     * @param running     whether it runs: then the bridge, the firewall tables, the parent cgroups and mount namespaces
     *                    under {@code stateDir} are its own
     * @param instanceIds ids of its live instances (containers, cgroups and work directories are named by them)
     * @param pids        root processes of its live instances: each one's process tree is its sandbox
     * @param networkKeys device keys of its live network attachments: its instances' and the spares its state
     *                    directory records (namespaces {@code isola-<key>}, links {@code iv<key>}, {@code it<key>})
     */
    public record Holdings(Path stateDir, boolean running, Set<String> instanceIds, Set<Long> pids,
                           Set<String> networkKeys) {
        public Holdings {
            instanceIds = Set.copyOf(instanceIds);
            pids = Set.copyOf(pids);
            networkKeys = Set.copyOf(networkKeys);
        }

        /** A server that stopped: it holds nothing, and its state directory must say so. */
        public static Holdings stopped(Path stateDir) {
            return new Holdings(stateDir, false, Set.of(), Set.of(), Set.of());
        }
    }

    /**
     * Notes what of Isola's the host holds before any test runs, so that the checks blame no test for it; called once
     * per test run by {@link PreExistingLeftovers}. Such leftovers are reported on stderr, never removed: they may be
     * another Isola's, live.
     */
    static void notePreExisting() throws IOException {
        Set<String> found = Set.copyOf(hostLeftovers(Optional.empty()));
        if (!found.isEmpty()) {
            System.err.println("WARNING: this host held things of Isola's before the tests began (a crashed earlier"
                    + " run's or another Isola's); the leak checks leave them out: " + found.stream().sorted().toList());
        }
        preExisting = found;
    }

    /** Fails unless nothing of Isola's is left, once things had {@link #SETTLE} to settle. */
    public static void assertNone(Scope scope) {
        Await.until(SETTLE, () -> find(scope), List::isEmpty, "nothing of Isola's left (" + scope + ")");
    }

    /** Fails unless nothing is left beyond what the server holds; {@code holdings} is asked anew on each poll. */
    public static void assertNone(Scope scope, Supplier<Holdings> holdings) {
        Await.until(SETTLE, () -> find(scope, holdings.get()), List::isEmpty,
                "nothing of Isola's left beyond the test server's own (" + scope + ")");
    }

    /** Child processes of this JVM (instances of the process backend, runtimes, QEMU...). */
    public static List<String> childProcesses() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).map(Leaks::describe).toList();
    }

    public static void assertNoChildProcesses() {
        assertNone(Scope.PROCESSES);
    }

    public static void assertEmptyDir(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var list = Files.list(dir)) {
            assertThat(list.toList()).as("left in " + dir).isEmpty();
        }
    }

    /** Everything of Isola's that is left, one line each. */
    static List<String> find(Scope scope) throws IOException {
        return find(scope, Optional.empty());
    }

    /** Everything left that the server's holdings do not account for, one line each. */
    static List<String> find(Scope scope, Holdings held) throws IOException {
        return find(scope, Optional.of(held));
    }

    private static List<String> find(Scope scope, Optional<Holdings> held) throws IOException {
        List<String> leaks = new ArrayList<>(strayProcesses(held.map(Holdings::pids).orElse(Set.of())));
        if (held.isPresent()) {
            leaks.addAll(strayWorkDirectories(held.get()));
        }
        if (scope == Scope.HOST) {
            leaks.addAll(hostLeftovers(held));
        }
        return leaks;
    }

    /** Descendants of this JVM outside the process trees of the given instance roots. */
    private static List<String> strayProcesses(Set<Long> instanceRoots) {
        List<ProcessHandle> alive = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
        Map<Long, Long> parents = new HashMap<>();
        alive.forEach(p -> parents.put(p.pid(), p.parent().map(ProcessHandle::pid).orElse(0L)));
        List<String> stray = new ArrayList<>();
        for (ProcessHandle p : alive) {
            boolean inAnInstance = false;
            for (Long pid = p.pid(); pid != null && !inAnInstance; pid = parents.get(pid)) {
                inAnInstance = instanceRoots.contains(pid);
            }
            if (!inAnInstance) {
                stray.add("child process " + describe(p));
            }
        }
        return stray;
    }

    private static List<String> strayWorkDirectories(Holdings held) throws IOException {
        List<String> stray = new ArrayList<>();
        for (String entry : names(held.stateDir().resolve("run"))) {
            if (!held.instanceIds().contains(entry)) {
                stray.add("work directory " + held.stateDir().resolve("run").resolve(entry));
            }
        }
        // The process backend's copies and scratch directories (as root), beside the state directory.
        Path unprivileged = held.stateDir().toAbsolutePath().resolveSibling(held.stateDir().getFileName() + ".process");
        for (String scratch : names(unprivileged.resolve("tmp"))) {
            if (!held.instanceIds().contains(scratch)) {
                stray.add("scratch directory " + unprivileged.resolve("tmp").resolve(scratch));
            }
        }
        if (!held.running()) {
            for (String marker : names(held.stateDir().resolve("spare-networks"))) {
                stray.add("spare network marker " + held.stateDir().resolve("spare-networks").resolve(marker));
            }
            if (Files.exists(unprivileged)) {
                stray.add("the process backend's directory " + unprivileged);
            }
        }
        return stray;
    }

    private static List<String> hostLeftovers(Optional<Holdings> held) throws IOException {
        Set<String> ids = held.map(Holdings::instanceIds).orElse(Set.of());
        Set<String> keys = held.map(Holdings::networkKeys).orElse(Set.of());
        boolean running = held.map(Holdings::running).orElse(false);
        List<String> left = new ArrayList<>();
        for (String runtime : RUNTIMES) {
            for (String container : containers(runtime)) {
                if (!ids.contains(container)) {
                    left.add(runtime + " container " + container);
                }
            }
        }
        for (String netns : names(NETNS)) {
            // isola-<tag>-<key>, or isola-<key> as earlier versions named them
            if (netns.startsWith("isola-") && !keys.contains(netns.substring(netns.lastIndexOf('-') + 1))) {
                left.add("network namespace " + netns);
            }
        }
        for (String link : names(LINKS)) {
            boolean instanceLink = link.startsWith("iv") || link.startsWith("it");
            if ((instanceLink && !keys.contains(link.substring(2))) || (BRIDGE.matcher(link).matches() && !running)) {
                left.add("link " + link);
            }
        }
        if (!running) {
            command("nft", "list", "tables").lines().filter(FIREWALL_TABLES::contains)
                    .forEach(table -> left.add("firewall " + table));
        }
        for (Path cgroup : parentCgroups()) {
            if (!running) {
                left.add("cgroup " + cgroup);
            }
            for (String child : names(cgroup)) {
                boolean parent = PARENT_CGROUPS.stream().anyMatch(p -> cgroup.resolve(child).endsWith(p));
                if (Files.isDirectory(cgroup.resolve(child)) && !ids.contains(child) && !parent) {
                    left.add("cgroup " + cgroup.resolve(child));
                }
            }
        }
        // A running server's runtimes keep their mount namespaces under its state directory.
        Optional<String> ours = held.filter(Holdings::running).map(h -> h.stateDir().toAbsolutePath() + "/");
        for (String mount : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            if (mount.contains("-mntns") && !ours.map(mount::contains).orElse(false)) {
                left.add("runtime mount namespace: " + mount);
            }
        }
        left.removeIf(preExisting::contains);
        return left;
    }

    /** The containers in Isola's state root of {@code runtime}; none when the root or the runtime is missing. */
    private static List<String> containers(String runtime) {
        Path root = Path.of("/run/isola", runtime);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try {
            String out = command(runtime, "--root", root.toString(), "list", "--quiet");
            return out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (IllegalStateException e) {
            // A container deleted while list reads it makes list fail: a leftover until a later poll says otherwise.
            return List.of("(" + e.getMessage() + ")");
        }
    }

    /**
     * {@code isola} and {@code isola/vm} where they exist: under {@code /sys/fs/cgroup} on a unified host, else under
     * each v1 controller and the hybrid host's {@code unified}.
     */
    private static List<Path> parentCgroups() throws IOException {
        List<Path> hierarchies = Files.exists(CGROUPS.resolve("cgroup.controllers")) ? List.of(CGROUPS)
                : names(CGROUPS).stream().map(CGROUPS::resolve).filter(Files::isDirectory).toList();
        List<Path> found = new ArrayList<>();
        for (Path hierarchy : hierarchies) {
            for (String parent : PARENT_CGROUPS) {
                if (Files.isDirectory(hierarchy.resolve(parent))) {
                    found.add(hierarchy.resolve(parent));
                }
            }
        }
        return found;
    }

    private static List<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of(); // removed while we looked
        }
    }

    private static String describe(ProcessHandle p) {
        return p.pid() + " " + p.info().commandLine().orElse("?");
    }

    /**
     * Standard output of a host tool, waited for at most 10 s (the output goes to a file, so a tool that hangs cannot
     * block the read). A tool that is not installed has nothing on the host: "". Any other failure fails the check
     * rather than reading as "nothing there".
     */
    private static String command(String... argv) {
        Path out = null;
        try {
            out = Files.createTempFile("isola-leaks-", ".out");
            Process p;
            try {
                p = new ProcessBuilder(argv).redirectOutput(out.toFile())
                        .redirectError(out.resolveSibling(out.getFileName() + ".err").toFile()).start();
            } catch (IOException notInstalled) {
                return "";
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly(); // our own child, started just above: the pid cannot be another process's
                throw new IllegalStateException(String.join(" ", argv) + " did not finish in 10 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " exited with " + p.exitValue() + ": "
                        + Files.readString(out.resolveSibling(out.getFileName() + ".err")).strip());
            }
            return Files.readString(out);
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to run " + argv[0], e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted running " + argv[0], e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                    Files.deleteIfExists(out.resolveSibling(out.getFileName() + ".err"));
                } catch (IOException e) {
                    // A temporary file: the next check does not depend on it.
                }
            }
        }
    }
}
