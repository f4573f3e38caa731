package dev.isola.sandbox.oci;

import dev.isola.sandbox.spi.HostLibraries;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.config.StateDirs;
import dev.isola.function.Runtime;
import dev.isola.net.HostCommand;
import dev.isola.net.InstanceNetwork;
import dev.isola.net.SpareAttachments;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.Instance;
import dev.isola.sandbox.spi.InstanceSpec;
import dev.isola.sandbox.spi.ProcessStarter;
import dev.isola.sandbox.spi.SandboxException;
import dev.isola.sandbox.spi.SandboxProvider;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * OCI container backends: one implementation parameterised by the runtime binary (runc, crun, runsc).
 *
 * <p>Per instance: a network namespace with a veth on the bridge ({@link InstanceNetwork}; usually one made ahead
 * of need by {@link SpareAttachments}), its work directory as the bundle (config.json; the read-only root is a
 * skeleton of mount points shared by instances alike, {@link RootfsSkeletons}; the artefact and, for Node.js, the
 * node binary and exactly its libraries are bind-mounted read-only),
 * and {@code <runtime> run} as a foreground child of the platform, so the container's stdout/stderr are the child's
 * and its liveness is the child's. Containers live under Isola's own state root ({@value #STATE_ROOT}/&lt;runtime&gt;),
 * so start-up reaping deletes exactly the containers of an earlier run and never anyone else's. Cgroups:
 * {@code /isola/<instance>} through the runtime's cgroupfs driver (v1, hybrid and v2 hosts).
 *
 * <p>Isolation on the network: instances cannot open connections to the host (nftables) or to each other (isolated
 * bridge ports); only functions with {@code egress: true} get a route out. runc and crun apply
 * {@link SeccompProfile}.
 */
public class OciSandboxProvider implements SandboxProvider {
    private static final System.Logger LOG = System.getLogger(OciSandboxProvider.class.getName());
    static final String STATE_ROOT = "/run/isola";
    static final int FUNCTION_PORT = 8080;
    private static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final InstanceNetwork NETWORK = InstanceNetwork.shared();
    private static final String SPARE_NETWORKS_DIR = "spare-networks";

    private final String runtime;
    /** Where the runtime's own mount namespace is kept, if it needs one ({@link #mountNamespaceChange}). */
    private Path namespaceDir;
    private RuntimeMountNamespace namespace;
    /** Set by {@link #open}; without it (a provider used outside a platform) every start attaches anew. */
    private SpareAttachments spares;
    private volatile RootfsSkeletons skeletons = new RootfsSkeletons(
            StateDirs.defaultStateDir().resolve("cache").resolve("oci"));

    protected OciSandboxProvider(String runtime) {
        this.runtime = runtime;
        this.namespaceDir = StateDirs.defaultStateDir().resolve(runtime + "-mntns");
    }

    @Override
    public String type() {
        return runtime;
    }

    @Override
    public boolean isolating() {
        return true;
    }

    String stateRoot() {
        return STATE_ROOT + "/" + runtime;
    }

    /** The runtime and its global flags, ready for a subcommand. */
    List<String> command(String... subcommand) {
        List<String> argv = new ArrayList<>(launchPrefix());
        argv.add(runtime);
        argv.add("--root");
        argv.add(stateRoot());
        argv.addAll(globalFlags());
        argv.addAll(List.of(subcommand));
        return argv;
    }

    /**
     * The change to a copy of the host's mounts this runtime needs on this host, as a command run in that copy (then
     * every runtime command runs in it, {@link RuntimeMountNamespace}); empty to run in the host's mount namespace.
     */
    protected List<String> mountNamespaceChange() {
        return List.of();
    }

    /** What runs the runtime: nothing, or entering its mount namespace (made at the first command that needs it). */
    private synchronized List<String> launchPrefix() {
        if (namespace == null) {
            List<String> change = mountNamespaceChange();
            if (change.isEmpty()) {
                return List.of();
            }
            namespace = RuntimeMountNamespace.create(namespaceDir, change);
        }
        return namespace.prefix();
    }

    /** Whether containers get {@link SeccompProfile} (runc, crun); gVisor filters its own sandbox instead. */
    protected boolean appliesSeccompProfile() {
        return true;
    }

    /**
     * Whether {@code <runtime> run} passes a SIGTERM it gets on to the container's process and, once that exits,
     * removes the container's state and cgroup itself (runc, crun): stopping an instance then takes no runtime
     * command at all, where {@code kill} and {@code delete} were two more processes per instance.
     */
    protected boolean forwardsSignals() {
        return true;
    }

    /** Whether the sandbox has a network stack of its own, which dies without closing its connections (runsc). */
    protected boolean ownNetworkStack() {
        return false;
    }

    /** Whether the runtime still has state for container {@code id} (its files under {@link #stateRoot()}). */
    boolean hasState(String id) {
        try (var entries = Files.newDirectoryStream(Path.of(stateRoot()), id + "*")) {
            return entries.iterator().hasNext();
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return true; // cannot tell: delete, which is harmless when nothing is left
        }
    }

    /** Runtime-specific global flags (runsc: platform and network mode). */
    protected List<String> globalFlags() {
        return List.of();
    }

    @Override
    public Availability probe() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Availability.no("needs root (network namespaces, veth devices and cgroups)");
        }
        Path binary;
        try {
            binary = HostLibraries.which(runtime);
        } catch (SandboxException e) {
            return Availability.no(runtime + " is not installed (apt-get install " + runtime + ")");
        }
        for (String tool : List.of("ip", "nft", "ldd")) {
            try {
                HostLibraries.which(tool);
            } catch (SandboxException e) {
                return Availability.no(tool + " is not installed (apt-get install iproute2 nftables)");
            }
        }
        try {
            String version = HostCommand.run(List.of(binary.toString(), "--version")).lines().findFirst().orElse("");
            return Availability.yes(version + "; own netns + veth on " + InstanceNetwork.BRIDGE
                    + ", cgroup limits, read-only rootfs");
        } catch (SandboxException e) {
            return Availability.no(runtime + " does not run: " + e.getMessage());
        }
    }

    /**
     * Reaps the containers (and their namespaces) of this state directory's earlier run and the network attachments
     * it had made ahead of need; other Isolas' are left alone.
     */
    @Override
    public void open(Path stateDir) {
        synchronized (this) {
            namespaceDir = stateDir.resolve(runtime + "-mntns");
            removeNamespace(); // left by a run that crashed: made anew when the runtime is next needed
        }
        skeletons = new RootfsSkeletons(stateDir.resolve("cache").resolve("oci"));
        skeletons.removeUnfinished();
        Path spareMarkers = stateDir.resolve(SPARE_NETWORKS_DIR);
        // Namespaces with their veth kept ready for the next cold starts.
        spares = new SpareAttachments(NETWORK, spareMarkers,
                SpareAttachments.target(System.getenv("ISOLA_SPARE_NETWORKS")));
        SpareAttachments.reapLeftovers(NETWORK, spareMarkers);
        List<String> ids = SandboxProvider.leftoverInstanceIds(stateDir);
        if (ids.isEmpty() || !probe().available()) {
            return;
        }
        try {
            for (String id : HostCommand.run(command("list", "--quiet")).lines().map(String::trim).toList()) {
                if (ids.contains(id)) {
                    HostCommand.quietly(command("delete", "--force", id));
                }
            }
        } catch (SandboxException e) {
            // No state root yet: nothing ran before.
        }
        NETWORK.reapLeftovers(ids.stream().map(InstanceNetwork::key).toList());
        ids.forEach(OciSandboxProvider::removeInstanceCgroups);
    }

    /**
     * The instance's cgroups ({@code isola/<id>} under every controller), which the runtime's delete leaves when the
     * container's state is gone (a runtime killed half-way through a start). Any process still in them belonged
     * to that instance.
     */
    private static void removeInstanceCgroups(String id) {
        for (Path dir : cgroupDirs("isola/" + id)) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try {
                List<ProcessHandle> left = Files.readAllLines(dir.resolve("cgroup.procs")).stream()
                        .map(pid -> ProcessHandle.of(Long.parseLong(pid.trim()))).flatMap(Optional::stream).toList();
                left.forEach(ProcessHandle::destroyForcibly);
                CompletableFuture.allOf(left.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
                        .get(5, TimeUnit.SECONDS);
                Files.deleteIfExists(dir);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException | ExecutionException | TimeoutException e) {
                LOG.log(System.Logger.Level.WARNING, "oci: could not remove leftover cgroup " + dir + ": " + e);
            }
        }
    }

    /** {@code relative} under the unified hierarchy and under each v1 controller. */
    private static List<Path> cgroupDirs(String relative) {
        Path root = Path.of("/sys/fs/cgroup");
        List<Path> dirs = new ArrayList<>(List.of(root.resolve(relative)));
        try (var controllers = Files.list(root)) {
            controllers.filter(Files::isDirectory).forEach(c -> dirs.add(c.resolve(relative)));
        } catch (IOException e) {
            // No cgroup file system: nothing to remove.
        }
        return dirs;
    }

    @Override
    public void shutdown() {
        if (spares != null) {
            spares.close();
        }
        NETWORK.removeBridge();
        removeParentCgroups();
        synchronized (this) {
            if (namespace != null) {
                removeNamespace();
                namespace = null;
            }
        }
    }

    /** Never throws: a namespace that cannot be removed must not keep the platform from starting or stopping. */
    private void removeNamespace() {
        try {
            RuntimeMountNamespace.remove(namespaceDir);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, runtime + ": " + e.getMessage());
        }
    }

    /**
     * The runtime removes each instance's cgroup on delete but not the shared parent {@code isola} it created under
     * every controller; rmdir succeeds only on an empty cgroup, so a busy one is left alone.
     */
    private static void removeParentCgroups() {
        for (Path dir : cgroupDirs("isola")) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // Not empty (another Isola still runs instances) or not ours to remove.
            }
        }
    }

    @Override
    public Instance start(InstanceSpec spec) {
        InstanceNetwork.Attachment net = spares != null ? spares.take() : NETWORK.attach(InstanceNetwork.key(spec.id()));
        try {
            if (spec.egress()) {
                net.allowEgress();
            }
            // The instance's work directory is its bundle: config.json, and a root shared with its peers.
            Path bundle = spec.workDir();
            List<String> args = new ArrayList<>(spec.artifact().argv());
            List<Path> hostFiles = List.of();
            String program = args.getFirst();
            if (program.startsWith("./")) {
                args.set(0, "/fn/" + program.substring(2));
            } else if (spec.artifact().runtime() == Runtime.NODE || !program.contains("/")) {
                Path onHost = HostLibraries.which(program);
                hostFiles = HostLibraries.closure(onHost);
                args.set(0, onHost.toString());
            }
            if (spec.egress() && Files.isRegularFile(RESOLV_CONF)) {
                // Names resolve as on the host (useful when its resolver is reachable from the bridge).
                hostFiles = new ArrayList<>(hostFiles);
                hostFiles.add(RESOLV_CONF);
            }
            List<String> env = new ArrayList<>();
            env.add("PATH=/usr/local/bin:/usr/bin:/bin");
            env.add("HOME=/tmp");
            env.add("TMPDIR=/tmp");
            env.add("PORT=" + FUNCTION_PORT);
            env.add("HOST=0.0.0.0");
            // No readiness callback: the firewall keeps instances from opening connections to the host (where the
            // callback lives), so readiness comes from the launcher's TCP probe of the instance's address.
            spec.env().forEach((k, v) -> {
                if (!k.equals("ISOLA_READY_URL")) {
                    env.add(k + "=" + v);
                }
            });
            Path rootfs = skeletons.ensure(hostFiles);
            Map<String, Object> config = OciSpec.create(rootfs.toAbsolutePath(), spec.artifact().root().toAbsolutePath(),
                    args, env, hostFiles, net.netnsPath(), "/isola/" + spec.id(), spec.limits(),
                    appliesSeccompProfile());
            Files.write(bundle.resolve("config.json"), JSON.writeValueAsBytes(config));
            Process process = ProcessStarter.start(new ProcessBuilder(command("run", "--bundle",
                    bundle.toAbsolutePath().toString(), spec.id()))
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))));
            return new OciInstance(spec.id(), this, process,
                    new InetSocketAddress(net.address(), FUNCTION_PORT), net, spec.output(),
                    spec.limits().memoryBytes());
        } catch (IOException | RuntimeException e) {
            net.close();
            throw new SandboxException("Failed to start container " + spec.id() + " with " + runtime + ": "
                    + e.getMessage(), e);
        }
    }
}
