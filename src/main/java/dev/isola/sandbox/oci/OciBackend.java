package dev.isola.sandbox.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.host.CgroupTree;
import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.Fifo;
import dev.isola.host.HostException;
import dev.isola.host.Pidfd;
import dev.isola.host.PidfdExits;
import dev.isola.host.PrivateFiles;
import dev.isola.host.ProcessRunner;
import dev.isola.host.StdinGate;
import dev.isola.host.Uninterrupted;
import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.HostRuntimeFiles;
import dev.isola.sandbox.spi.Instance;
import dev.isola.sandbox.spi.InstanceSpec;
import dev.isola.sandbox.spi.ParentCgroup;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxException;
import dev.isola.sandbox.spi.SandboxUids;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * OCI container backends: one implementation, parameterised by the runtime's {@link RuntimeTraits} (runc, crun,
 * runsc).
 *
 * <p>Per instance: a network namespace with a veth on the bridge ({@link InstanceNetwork}; usually one made ahead
 * of need), its work directory as the bundle (config.json; the read-only root is a skeleton of mount points shared
 * by instances alike, {@link RootfsSkeletons}; the artefact and, for Node.js, the node binary and exactly its
 * libraries are bind-mounted read-only). Containers run detached ({@link DetachedContainer}): {@code <runtime>
 * create} with the instance's console file as its output, which the container keeps, then the start (the hand-shake
 * through the container's exec FIFO, done by Isola itself for runc and crun; {@code runsc start} for gVisor); no
 * runtime process stays per instance, and the container's init (gVisor's sandbox process) is watched through a pidfd.
 * gVisor has no such FIFO, and its {@code start} sets up the sandbox's network, about half of a start: its standby
 * sandboxes are started whole when made, the function's program held back by the host's {@code sh} reading one line
 * from a {@link StdinGate} (the container's stdin), which the call's start writes ({@link #heldStandby}).
 * Containers live under Isola's own state
 * root ({@value #STATE_ROOT}/&lt;runtime&gt;), so start-up reaping deletes exactly the containers of an earlier run
 * and never anyone else's. Cgroups: {@code /isola/<instance>} through the runtime's cgroupfs driver (v1, hybrid and
 * v2 hosts), under the node's memory limit ({@link ParentCgroup}).
 *
 * <p>Isolation on the network: instances cannot open connections to the host (nftables) or to each other (isolated
 * bridge ports); only functions with {@code egress: true} get a route out. runc and crun apply
 * {@link SeccompProfile}.
 */
final class OciBackend implements SandboxBackend {
    private static final System.Logger LOG = System.getLogger(OciBackend.class.getName());
    static final String STATE_ROOT = "/run/isola";
    private static final String LOCK_SUFFIX = ".lock";
    static final int FUNCTION_PORT = 8080;
    private static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What {@code <runtime> list --format json} may print: the 65,472 containers the bridges hold, and room. */
    private static final int LIST_LIMIT = 64 << 20;
    /** For {@code create}: a container whose creation takes longer is given up. */
    private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(60);
    /**
     * For the start hand-shake, which takes microseconds (the init is blocked opening its end), or a few hundred ms
     * on a saturated host; an init that never writes (a container started behind Isola's back) must not hold a call
     * for the create timeout.
     */
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(5);
    /** How long an instance's leftover cgroups may take to empty once their processes are killed. */
    private static final Duration CGROUP_REMOVAL = Duration.ofSeconds(30);
    /** {@code runsc start}: a Go program's start and one message to the sandbox, slower on a loaded host. */
    private static final Duration RUNSC_START_TIMEOUT = Duration.ofSeconds(30);
    /**
     * {@code delete}s run at once at most; the others wait their turn, parked. A stop of 5,000 instances ran thousands
     * together on 2 cores: each passed its 30 s timeout, was killed half-way, and left its container stopped but not
     * deleted (348 of them, state, cgroups and all, after the server had stopped).
     */
    private static final int DELETES_AT_ONCE = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
    /** A delete whose container is still there is tried again this often in all before it is logged and left. */
    private static final int DELETE_ATTEMPTS = 3;

    private final SandboxContext context;
    private final RuntimeTraits traits;
    private final Supplier<List<String>> diagnostics;
    private final ProcessRunner runner;
    private final InstanceNetwork network;
    private final HostRuntimeFiles hostRuntime;
    private final RootfsSkeletons skeletons;
    /** Where the runtime's own mount namespace is kept, if it needs one. */
    private final Path namespaceDir;
    private RuntimeMountNamespace namespace;
    /** Whether this run started a container or reaped an earlier run's: either way the parent cgroups are its own. */
    private volatile boolean started;
    private final PidfdExits exits = new PidfdExits();
    /** The host uids containers run as, one per live container; none for gVisor, whose kernel has its own users. */
    private final Optional<SandboxUids> uids;
    /** The uid each container holds, by container id, until the runtime has deleted it. */
    private final Map<String, Integer> heldUids = new ConcurrentHashMap<>();
    private final Semaphore deletes = new Semaphore(DELETES_AT_ONCE, true);

    OciBackend(SandboxContext context, RuntimeTraits traits, Optional<SandboxUids> uids,
               Supplier<List<String>> diagnostics) {
        this.context = context;
        this.traits = traits;
        this.uids = uids;
        this.diagnostics = diagnostics;
        this.runner = context.runner();
        this.network = context.network();
        this.hostRuntime = new HostRuntimeFiles(runner);
        this.skeletons = new RootfsSkeletons(context.cacheDir().resolve("oci"));
        this.namespaceDir = context.stateDir().resolve(traits.runtime() + "-mntns");
    }

    RuntimeTraits traits() {
        return traits;
    }

    ProcessRunner runner() {
        return runner;
    }

    String stateRoot() {
        return STATE_ROOT + "/" + traits.runtime();
    }

    /** The runtime and its global flags, ready for a subcommand. */
    List<String> command(String... subcommand) {
        List<String> argv = new ArrayList<>(launchPrefix());
        argv.add(traits.runtime());
        argv.add("--root");
        argv.add(stateRoot());
        argv.addAll(traits.globalFlags());
        argv.addAll(List.of(subcommand));
        return argv;
    }

    /** What runs the runtime: nothing, or entering its mount namespace (made at the first command that needs it). */
    private synchronized List<String> launchPrefix() {
        if (traits.mountNamespaceChange().isEmpty()) {
            return List.of();
        }
        if (namespace == null) {
            namespace = RuntimeMountNamespace.create(runner, namespaceDir, traits.mountNamespaceChange());
        }
        return namespace.prefix();
    }

    /**
     * Whether the runtime still has state for container {@code id} (its files under {@link #stateRoot()}). A lock
     * file alone is none: runsc keeps {@code <sandbox>_sandbox:<id>.lock} beside a container's state and leaves it
     * behind when its create is killed half-way, and its delete then succeeds without removing it.
     */
    boolean hasState(String id) {
        try (var entries = Files.newDirectoryStream(Path.of(stateRoot()), id + "*")) {
            for (Path entry : entries) {
                if (!entry.getFileName().toString().endsWith(LOCK_SUFFIX)) {
                    return true;
                }
            }
            return false;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return true; // cannot tell: delete, which is harmless when nothing is left
        }
    }

    /** Removes the lock files of container {@code id}, which has no state left for them to guard. */
    private void removeOrphanLocks(String id) {
        try (var locks = Files.newDirectoryStream(Path.of(stateRoot()), id + "*" + LOCK_SUFFIX)) {
            for (Path lock : locks) {
                Files.deleteIfExists(lock);
            }
        } catch (IOException e) {
            // No state root, or the lock went meanwhile: nothing left to remove.
        }
    }

    @Override
    public Availability probe() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return new Availability.Unavailable("needs root (network namespaces, veth devices and cgroups)");
        }
        Optional<Path> binary = runner.executables().find(traits.runtime());
        if (binary.isEmpty()) {
            return new Availability.Unavailable(traits.runtime() + " is not installed (apt-get install "
                    + traits.runtime() + ")");
        }
        for (String tool : List.of("ip", "nft", "ldd")) {
            if (!runner.executables().has(tool)) {
                return new Availability.Unavailable(tool + " is not installed (apt-get install iproute2 nftables)");
            }
        }
        Optional<String> collision = uids.flatMap(u -> u.hostCollision(Path.of("/etc")));
        if (collision.isPresent()) {
            SandboxUids range = uids.orElseThrow();
            return new Availability.Unavailable("the container uids " + range.first() + "-" + range.last() + " (sandbox."
                    + traits.runtime() + ".uidBase, uidCount) hold " + collision.get() + "; move the range");
        }
        try {
            String version = runner.run(List.of(binary.get().toString(), "--version")).lines().findFirst()
                    .orElse("");
            return new Availability.Ready(version + "; own netns + veth on " + InstanceNetwork.BRIDGE
                    + " (then isola1, …), cgroup limits, read-only rootfs");
        } catch (HostException e) {
            return new Availability.Unavailable(traits.runtime() + " does not run: " + e.getMessage());
        }
    }

    @Override
    public List<String> diagnostics() {
        return probe().runs() ? diagnostics.get() : List.of();
    }

    /**
     * Where this state directory's bundles lie, as written and with its symbolic links resolved: the runtime records
     * the bundle it changed into, a physical path, so a state directory reached through a link (say, on a data disk)
     * is matched by its real path.
     */
    static List<String> bundlePrefixes(Path runDir) {
        Path written = runDir.toAbsolutePath().normalize();
        List<String> prefixes = new ArrayList<>(List.of(written + "/"));
        try {
            String real = written.toRealPath() + "/";
            if (!prefixes.contains(real)) {
                prefixes.add(real);
            }
        } catch (IOException e) {
            // no run/ yet: nothing of an earlier run lies there
        }
        return prefixes;
    }

    /**
     * Reaps the containers (and their namespaces and cgroups) of this state directory's earlier run: those with a
     * work directory left, and those whose bundle lies in this state directory's {@code run/} although their work
     * directory is gone (a start that raced a stop or a crash). Another Isola's containers have their bundles
     * elsewhere: they are left alone, unless that state directory is gone and no live run claims it (its server was
     * killed and its directory deleted; nothing else would ever reap them).
     */
    @Override
    public void reapLeftovers() {
        synchronized (this) {
            removeNamespace(); // left by a run that crashed: made anew when the runtime is next needed
        }
        skeletons.removeUnfinished();
        Set<String> ids = new TreeSet<>(context.leftoverInstanceIds());
        if (probe().runs()) {
            List<String> ourBundles = bundlePrefixes(context.runDir());
            for (JsonNode container : containers()) {
                String id = container.path("id").asText();
                String bundle = container.path("bundle").asText();
                if (ids.contains(id) || inBundles(bundle, ourBundles)) {
                    deleteQuietly(id);
                    ids.add(id);
                } else {
                    stateDirOf(id, bundle).ifPresent(gone -> network.whileAbandoned(gone, () -> deleteQuietly(id)));
                }
            }
        }
        network.reapLeftovers(ids.stream().map(InstanceNetwork::key).toList());
        ids.forEach(id -> {
            if (!hasState(id)) {
                removeOrphanLocks(id);
            }
            removeInstanceCgroups(id);
        });
        if (!ids.isEmpty()) {
            started = true; // the earlier run's containers made the shared parents: this run's stop removes them
        }
    }

    /** Whether {@code bundle} lies under one of {@link #bundlePrefixes}: the container is this state directory's. */
    private static boolean inBundles(String bundle, List<String> prefixes) {
        return prefixes.stream().anyMatch(bundle::startsWith);
    }

    /** The state directory of an Isola container: its bundle is {@code <state>/run/<id>}. */
    private static Optional<Path> stateDirOf(String id, String bundle) {
        Path path = Path.of(bundle);
        return path.isAbsolute() && path.getNameCount() >= 3 && path.getFileName().toString().equals(id)
                && path.getParent().getFileName().toString().equals("run")
                ? Optional.of(path.getParent().getParent()) : Optional.empty();
    }

    /**
     * The containers under Isola's state root for this runtime, as {@code <runtime> list} describes them. No command
     * runs when the root holds none: one would make the runtime's mount namespace, which reaping just removed.
     */
    private List<JsonNode> containers() {
        try (var entries = Files.list(Path.of(stateRoot()))) {
            if (entries.findAny().isEmpty()) {
                return List.of();
            }
        } catch (IOException e) {
            return List.of(); // no state root yet: nothing ran before
        }
        try {
            List<JsonNode> all = new ArrayList<>();
            // About 300 bytes a container: the default limit of 64 KiB cut the list of 1,705 (bench/density.sh).
            JSON.readTree(runner.run(Command.of(command("list", "--format", "json"))
                    .withOutputLimit(LIST_LIMIT))).forEach(all::add);
            return all; // "null" (runc, runsc) and "[]" (crun) both read as none
        } catch (HostException | IOException e) {
            LOG.log(System.Logger.Level.WARNING, traits.runtime() + ": could not list leftover containers: " + e);
            return List.of();
        }
    }

    /**
     * The instance's cgroups ({@code isola/<id>} under every controller), which the runtime's delete leaves when the
     * container's state is gone (a runtime killed half-way through a start) or when its processes had not exited yet
     * (crun, thousands stopping at once). Any process still in them belonged to that instance: each is killed, and the
     * cgroup removed once the kernel lets it go (rmdir fails while a process in it has not exited), for at most
     * {@link #CGROUP_REMOVAL}. No thread waits per process: {@code ProcessHandle.onExit} of a process that is not our
     * child takes a thread each, and gave up after 5 s in such a burst (24 cgroups of 5,000 left).
     */
    private static void removeInstanceCgroups(String id) {
        long deadline = System.nanoTime() + CGROUP_REMOVAL.toNanos();
        for (Path dir : cgroupDirs("isola/" + id)) {
            try {
                while (Files.isDirectory(dir)) {
                    Files.readAllLines(dir.resolve("cgroup.procs")).forEach(pid ->
                            ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly));
                    try {
                        Files.deleteIfExists(dir);
                    } catch (IOException busy) {
                        if (System.nanoTime() - deadline > 0) {
                            throw busy;
                        }
                        Thread.sleep(50);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "oci: could not remove leftover cgroup " + dir + ": " + e);
            }
        }
    }

    /** {@code relative} under the unified hierarchy and under each v1 controller. */
    private static List<Path> cgroupDirs(String relative) {
        return CgroupTree.everywhere(relative);
    }

    /** Exits of containers with a network stack of their own, which the gateway must hear of ({@link #traits()}). */
    PidfdExits exits() {
        return exits;
    }

    @Override
    public void shutdown() {
        exits.close();
        deleteLeftBehind();
        if (started) {
            // Only a run that made containers made the parents: removing them otherwise races another Isola's runc,
            // which creates a child under a parent it just found.
            removeParentCgroups();
        }
        synchronized (this) {
            if (namespace != null) {
                removeNamespace();
                namespace = null;
            }
        }
    }

    /**
     * Deletes this state directory's containers still under the runtime's state root once every instance has been
     * stopped: one whose delete failed through all its attempts (a host too busy to run it in time), so that a stopped
     * server leaves no container behind, whatever became of its stop.
     */
    private void deleteLeftBehind() {
        if (!probe().runs()) {
            return;
        }
        List<String> ourBundles = bundlePrefixes(context.runDir());
        for (JsonNode container : containers()) {
            if (inBundles(container.path("bundle").asText(), ourBundles)) {
                String id = container.path("id").asText();
                LOG.log(System.Logger.Level.WARNING, traits.runtime() + ": container " + id + " was still there "
                        + "after its instance had stopped; deleting it");
                deleteQuietly(id);
            }
        }
    }

    /** Never throws: a namespace that cannot be removed must not keep the platform from starting or stopping. */
    private void removeNamespace() {
        try {
            RuntimeMountNamespace.remove(runner, namespaceDir);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, traits.runtime() + ": " + e.getMessage());
        }
    }

    /**
     * The runtime removes each instance's cgroup on delete but not the shared parent {@code isola} it created under
     * every controller; rmdir succeeds only on an empty cgroup, so a busy one is left alone. The one with the node's
     * memory limit is {@link ParentCgroup}'s to remove.
     */
    private static void removeParentCgroups() {
        ParentCgroup.removeUnlimitedIfEmpty();
    }

    @Override
    public Instance start(InstanceSpec spec) {
        return create(spec, false).start();
    }

    @Override
    public boolean offersStandby() {
        return true;
    }

    /**
     * The container of {@code spec}, made by {@code <runtime> create} (its output, and so the container's, to the
     * console file) and waiting on its exec FIFO; {@link CreatedContainer#start()} does the start hand-shake.
     */
    @Override
    public CreatedContainer create(InstanceSpec spec) {
        return create(spec, heldStandby());
    }

    /**
     * Whether sandboxes on standby are started whole, their program held on a {@link StdinGate}: for runtimes whose
     * {@code start} is a runtime command rather than a FIFO (gVisor, whose {@code runsc start} takes 40-60 ms, most of
     * it the sandbox's network), where the C library can pass a child a pipe.
     */
    boolean heldStandby() {
        return traits.launch() == RuntimeTraits.Launch.CREATE_THEN_START && StdinGate.available();
    }

    /** With {@code held}, {@code runsc start} runs now and {@link CreatedContainer#start()} opens the gate. */
    private CreatedContainer create(InstanceSpec spec, boolean held) {
        started = true;
        InstanceNetwork.Attachment net = network.attachContainer();
        StdinGate gate = held ? StdinGate.open() : null;
        try {
            writeBundle(spec, net, held);
            Pidfd init = createContainer(spec, gate);
            if (held) {
                startHeld(spec.id(), init);
            }
            return new CreatedContainer(spec, this, init, endpoint(net), net, gate);
        } catch (IOException | RuntimeException e) {
            if (gate != null) {
                gate.close();
            }
            net.close();
            releaseUidIfDeleted(spec.id());
            throw failedToStart(spec, e);
        }
    }

    private SandboxException failedToStart(InstanceSpec spec, Exception e) {
        return new SandboxException("Failed to start container " + spec.id() + " with " + traits.runtime() + ": "
                + e.getMessage(), e);
    }

    private static InetSocketAddress endpoint(InstanceNetwork.Attachment net) {
        return new InetSocketAddress(net.address(), FUNCTION_PORT);
    }

    /** The instance's work directory as its bundle: config.json, and a root shared with its peers. */
    private void writeBundle(InstanceSpec spec, InstanceNetwork.Attachment net, boolean held) throws IOException {
        if (spec.egress()) {
            net.allowEgress();
        }
        List<String> args = new ArrayList<>(spec.artifact().argv());
        List<Path> hostFiles = List.of();
        String program = args.getFirst();
        if (program.startsWith("./")) {
            args.set(0, "/fn/" + program.substring(2));
        }
        Optional<HostRuntimeFiles.HostProgram> onHost = hostRuntime.of(spec.artifact());
        if (onHost.isPresent()) {
            hostFiles = onHost.get().paths();
            args.set(0, onHost.get().program().toString());
        }
        if (held) {
            // The program waits for its line (a closed gate, Isola gone, ends it unrun); exec keeps the pid.
            HostRuntimeFiles.HostProgram sh = hostRuntime.shell();
            args.addAll(0, List.of(sh.program().toString(), "-c", "read -r _ || exit 125; exec \"$@\"", "isola-held"));
            Set<Path> files = new LinkedHashSet<>(hostFiles);
            files.addAll(sh.paths());
            hostFiles = List.copyOf(files);
        }
        if (spec.egress() && Files.isRegularFile(RESOLV_CONF)) {
            // Names resolve as on the host (useful when its resolver is reachable from the bridge).
            hostFiles = new ArrayList<>(hostFiles);
            hostFiles.add(RESOLV_CONF);
        }
        Path rootfs = skeletons.ensure(hostFiles);
        int uid = uids.map(range -> holdUid(spec.id(), range)).orElse(OciSpec.NOBODY);
        Map<String, Object> config = OciSpec.create(rootfs.toAbsolutePath(),
                spec.artifact().root().toAbsolutePath(), args, environment(spec), hostFiles, net.netnsPath(),
                "/isola/" + spec.id(), spec.limits(), traits.seccompProfile(), uid, spec.openFiles());
        try (OutputStream file = PrivateFiles.output(spec.workDir().resolve("config.json"))) { // the function's env
            file.write(JSON.writeValueAsBytes(config));
        }
    }

    /**
     * {@code <runtime> create} with the console file as its output; returns the container's init, which then waits on
     * the exec FIFO. On failure the container is deleted before this throws.
     */
    private Pidfd createContainer(InstanceSpec spec, StdinGate gate) {
        String id = spec.id();
        Path pidFile = spec.workDir().resolve("init.pid").toAbsolutePath();
        CommandResult created;
        try {
            Command create = Command.of(command("create", "--bundle", spec.workDir().toAbsolutePath().toString(),
                    "--pid-file", pidFile.toString(), id)).withTimeout(CREATE_TIMEOUT);
            created = gate == null ? runner.resultTo(create, spec.console().file())
                    : runner.resultTo(create, spec.console().file(), gate);
        } catch (HostException interrupted) { // the runtime was killed half-way: what it made of the container goes
            deleteQuietly(id);
            throw interrupted;
        }
        if (created.timedOut() || created.exitCode() != 0) {
            deleteQuietly(id);
            throw new SandboxException(traits.runtime() + " create " + (created.timedOut()
                    ? "did not finish within " + CREATE_TIMEOUT.toSeconds() + " s"
                    : "failed with exit status " + created.exitCode()) + "; what it printed is in the logs");
        }
        reclaimConsole(spec);
        try {
            return Pidfd.open(Long.parseLong(Files.readString(pidFile).trim()));
        } catch (IOException | RuntimeException e) {
            deleteQuietly(id);
            throw new SandboxException("no init process after create: " + e.getMessage(), e);
        }
    }

    /**
     * Gives the console file back to root. runc and crun hand a container's stdio files to its uid during create
     * (before the function runs); the function could then open its console anew through {@code /proc/self/fd/1},
     * map it and write through the mapping, which the console reader does not see, filling the state disk.
     */
    private void reclaimConsole(InstanceSpec spec) {
        try {
            Files.setAttribute(spec.console().file(), "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(spec.console().file(), "unix:gid", 0, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            deleteQuietly(spec.id());
            throw new SandboxException("could not take the console back from the container: " + e.getMessage(), e);
        }
    }

    /**
     * Starts created container {@code id} ({@link RuntimeTraits.Launch}): opens its {@code gate} when it has one (a
     * held gVisor sandbox, started already), else the hand-shake through its exec FIFO, or {@code runsc start}; false
     * when its init died first.
     */
    boolean release(String id, Pidfd init, StdinGate gate) throws InterruptedException {
        if (gate != null) {
            return gate.release() && init.isAlive();
        }
        if (traits.launch() == RuntimeTraits.Launch.CREATE_THEN_START) {
            return startRuntime(id, init);
        }
        Path fifo = Path.of(stateRoot(), id, "exec.fifo");
        boolean started = traits.launch() == RuntimeTraits.Launch.CREATE_THEN_READ_FIFO
                ? Fifo.receive(fifo, init, RELEASE_TIMEOUT) : Fifo.send(fifo, init, RELEASE_TIMEOUT);
        try {
            Files.deleteIfExists(fifo); // as the runtime's start does: the container's state now reads "running"
        } catch (IOException e) {
            // The runtime then reports it as created rather than running; nothing Isola reads.
        }
        return started;
    }

    /** Starts a held sandbox ahead of need; if it does not run after, it is deleted and this throws. */
    private void startHeld(String id, Pidfd init) {
        boolean running = false;
        try {
            running = startRuntime(id, init);
        } finally {
            if (!running) {
                init.close();
                deleteQuietly(id);
            }
        }
        if (!running) {
            throw new SandboxException(traits.runtime() + " start of the held sandbox failed; what it printed is in "
                    + "the logs");
        }
    }

    /** {@code <runtime> start}: whether it succeeded and the container's init still runs. */
    private boolean startRuntime(String id, Pidfd init) {
        CommandResult result = runner.result(Command.of(command("start", id)).withTimeout(RUNSC_START_TIMEOUT));
        return result.succeeded() && init.isAlive();
    }

    /**
     * Deletes container {@code id} (processes, state, cgroups), whatever of it exists, then frees its uid. Never
     * throws, and runs to its end on an interrupted thread too (a start aborted by a drain or shutdown). A runtime
     * killed half-way through {@code create} leaves cgroups but no state, so its delete finds no container: they are
     * removed here (a server stopped in a burst of starts left two).
     */
    void deleteQuietly(String id) {
        Uninterrupted.run(() -> {
            delete(id);
            if (!hasState(id)) {
                removeOrphanLocks(id);
                removeInstanceCgroups(id);
                releaseUid(id);
            }
        });
    }

    /**
     * {@code delete --force}, its turn taken among {@link #DELETES_AT_ONCE}, tried again while the container is still
     * there; one that stays is logged with the runtime's last answer (start-up reaping or this run's stop deletes it).
     */
    private void delete(String id) {
        deletes.acquireUninterruptibly();
        try {
            String failure = "";
            for (int attempt = 1; attempt <= DELETE_ATTEMPTS; attempt++) {
                try {
                    CommandResult result = runner.result(Command.of(command("delete", "--force", id)));
                    failure = result.timedOut() ? "timed out" : result.output().strip();
                } catch (HostException e) {
                    failure = e.getMessage();
                }
                if (!hasState(id)) {
                    return;
                }
            }
            LOG.log(System.Logger.Level.WARNING, traits.runtime() + ": failed to delete container " + id + " in "
                    + DELETE_ATTEMPTS + " attempts: " + failure);
        } finally {
            deletes.release();
        }
    }

    /** A delete that failed may have left processes running as the container's uid: the uid then stays held. */
    private void releaseUidIfDeleted(String id) {
        if (!hasState(id)) {
            releaseUid(id);
        }
    }

    /**
     * A host uid of its own for container {@code id}: no other live container runs as it, so none shares its
     * per-user kernel limits (processes, inotify instances, message queues) or could signal it after an escape. An
     * id that holds one already keeps it: its earlier container's delete failed (a standby's, before a cold start
     * under the same id), its processes may still run as that uid, and a second uid would leave the first held for
     * good.
     */
    private int holdUid(String id, SandboxUids range) {
        return heldUids.computeIfAbsent(id, range::acquire);
    }

    private void releaseUid(String id) {
        Integer uid = heldUids.remove(id);
        if (uid != null) {
            uids.orElseThrow().release(uid);
        }
    }

    /**
     * How often the kernel's out-of-memory killer has killed a process of container {@code id}: {@code oom_kill} in
     * its memory cgroup ({@code memory.events} on cgroup v2, {@code memory.oom_control} on v1); 0 when not known.
     */
    long oomKills(String id) {
        for (Path dir : cgroupDirs("isola/" + id)) {
            for (String file : List.of("memory.events", "memory.oom_control")) {
                try {
                    for (String line : Files.readAllLines(dir.resolve(file))) {
                        if (line.startsWith("oom_kill ")) {
                            return Long.parseLong(line.substring("oom_kill ".length()).trim());
                        }
                    }
                } catch (IOException | NumberFormatException e) {
                    // Not this hierarchy, or an older kernel without the counter.
                }
            }
        }
        return 0;
    }

    /**
     * The container's environment. No readiness callback: the firewall keeps instances from opening connections to
     * the host (where the callback lives), so readiness comes from the launcher's TCP probe of the instance.
     */
    private static List<String> environment(InstanceSpec spec) {
        List<String> env = new ArrayList<>();
        env.add("PATH=/usr/local/bin:/usr/bin:/bin");
        env.add("HOME=/tmp");
        env.add("TMPDIR=/tmp");
        env.add("PORT=" + FUNCTION_PORT);
        env.add("HOST=0.0.0.0");
        spec.env().forEach((k, v) -> {
            if (!k.equals("ISOLA_READY_URL")) {
                env.add(k + "=" + v);
            }
        });
        return env;
    }

    /** Runs a runtime command for clean-up: never throws. */
    void quietly(List<String> argv) {
        runner.quietly(Command.of(argv));
    }
}
