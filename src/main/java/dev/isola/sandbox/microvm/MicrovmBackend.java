package dev.isola.sandbox.microvm;

import dev.isola.host.FileTrees;
import dev.isola.host.PidfdExits;
import dev.isola.host.ProcessRunner;
import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.Instance;
import dev.isola.sandbox.spi.InstanceSpec;
import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxException;
import dev.isola.sandbox.spi.SandboxUids;
import dev.isola.sandbox.spi.StartKind;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code microvm} backend: each instance is its own virtual machine, one QEMU {@code -M microvm} process
 * booting a guest kernel straight from {@code -kernel}/{@code -initrd} (no firmware), 1 vCPU and the function's
 * memory limit as guest RAM.
 *
 * <p>Per instance: a tap on the shared bridge with an address from the shared allocator (same firewall and
 * isolation as containers), the version's read-only root disk and initramfs ({@link GuestImages}, built once), a
 * cgroup around QEMU ({@link VmCgroup}), a QMP socket and a pid file in the instance's work directory. The guest's
 * init configures the network from the kernel command line and calls the readiness URL through the bridge's
 * {@code ReadyRelay}. Kernels: {@code minimal} (built by Isola, {@link MinimalKernel}) or {@code generic} (Debian's
 * cloud kernel, {@link GenericKernel}), chosen per function with {@code kernel:}.
 *
 * <p>Jail ({@link VmJail}): QEMU opens its devices and files as root, then chroots into an empty directory and runs
 * as the VM's own uid ({@link SandboxUids}) with no capabilities and a seccomp filter; an escape from device emulation
 * lands in that jail and the VM's cgroup, not in host root.
 *
 * <p>Accelerator: KVM when a test boot under KVM works, TCG otherwise ({@link AcceleratorProbe}); {@code auto}
 * never picks this backend as the platform default under TCG, where a cold start takes seconds. Under TCG the
 * emulator is no security boundary (QEMU's security policy covers only virtualisation with KVM): what holds is
 * the jail around a process on the host kernel, so the backend then reports {@link Isolation#CONTAINER}.
 *
 * <p>Failure modes: the guest's OOM killer ends a function that outgrows its memory, the init reports it on the
 * console and resets the VM, and QEMU ({@code -no-reboot}) exits: the instance is dead and says why. If Isola
 * itself dies, its QEMU processes are found at the next start through their pid files and stopped.
 */
final class MicrovmBackend implements SandboxBackend {
    static final String QEMU = "qemu-system-x86_64";
    /** Host memory QEMU needs beside guest RAM: its own code and data plus TCG's translation cache (32 MiB). */
    static final long QEMU_OVERHEAD_BYTES = 192L << 20;
    /**
     * The guest kernel's arguments every VM gets. no_timer_check: under load (a burst of emulated boots) the
     * kernel's IO-APIC timer check can miss its window and panic ("IO-APIC + timer doesn't work"); the virtual
     * timer is known to work.
     */
    static final List<String> BASE_CMDLINE = List.of("console=ttyS0", "quiet", "reboot=t", "panic=-1",
            "no_timer_check");
    private static final System.Logger LOG = System.getLogger(MicrovmBackend.class.getName());
    /** A VM's QMP socket argument ({@link QemuCommand#qmpSocket}), naming the state directory it belongs to. */
    private static final Pattern QMP_UNDER_STATE = Pattern.compile("unix:(/.+)/run/[^/]+/qmp\\.sock(,.*)?");

    private final SandboxContext context;
    private final ProcessRunner runner;
    private final InstanceNetwork network;
    private final Path cacheDir;
    private final int tbMib;
    private final AcceleratorProbe accelerators;
    private final MinimalKernel minimalKernel;
    private final GuestImages images;
    private final SandboxUids uids;
    /** Present unless the operator turned clones off ({@code sandbox.microvm.clones: off}): every VM boots then. */
    private final Optional<VmTemplates> templates;
    /** Sees the exit of every VM of this backend, templates too, on one thread. */
    private final PidfdExits exits = new PidfdExits();
    private Thread kernelBuild;
    /** Whether this run started a VM (and so may have made the shared parent cgroups). */
    private volatile boolean started;

    MicrovmBackend(SandboxContext context, int tbMib, SandboxUids uids, boolean clones) {
        this.context = context;
        this.runner = context.runner();
        this.network = context.network();
        this.cacheDir = context.cacheDir();
        this.tbMib = tbMib;
        this.accelerators = new AcceleratorProbe(runner);
        this.minimalKernel = new MinimalKernel(runner, cacheDir, context.ticker());
        this.images = new GuestImages(runner);
        this.uids = uids;
        this.templates = clones ? Optional.of(new VmTemplates(runner, exits, uids, context.runDir(), cacheDir, tbMib))
                : Optional.empty();
    }

    /** Slow (not a default for {@code auto}) under software emulation, where a cold start takes seconds. */
    @Override
    public Availability probe() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return new Availability.Unavailable("needs root (tap devices, cgroups)");
        }
        Optional<String> collision = uids.hostCollision(Path.of("/etc"));
        if (collision.isPresent()) {
            return new Availability.Unavailable("the VM uids " + uids.first() + "-" + uids.last()
                    + " (sandbox.microvm.uidBase, uidCount) hold " + collision.get() + "; move the range");
        }
        if (!runner.executables().has(QEMU)) {
            return new Availability.Unavailable(QEMU + " is not installed (apt-get install qemu-system-x86)");
        }
        for (String tool : List.of("ip", "nft", "mke2fs", "go")) {
            if (!runner.executables().has(tool)) {
                return new Availability.Unavailable(tool + " is not installed (apt-get install iproute2 nftables "
                        + "e2fsprogs golang-go)");
            }
        }
        Optional<String> noMinimal = minimalKernel.cached().isPresent() ? Optional.empty()
                : minimalKernel.whyNotBuildable();
        boolean generic = GenericKernel.find().isPresent();
        if (noMinimal.isPresent() && !generic) {
            return new Availability.Unavailable("no guest kernel: minimal cannot be built (" + noMinimal.get()
                    + ") and " + GenericKernel.whyMissing());
        }
        String detail = "QEMU microvm; kernels: minimal " + (minimalKernel.cached().isPresent() ? "built"
                : noMinimal.map(r -> "unavailable").orElse("not built yet")) + ", generic "
                + (generic ? "installed" : "unavailable") + "; tap on " + InstanceNetwork.BRIDGE + " (then isola1, …)";
        AcceleratorProbe.Choice choice = accelerator();
        return choice.accelerator() == Accelerator.KVM ? new Availability.Ready(detail + ", accelerator kvm")
                : new Availability.Slow(detail + ", accelerator tcg", "software emulation: " + choice.reason());
    }

    @Override
    public List<String> diagnostics() {
        List<String> lines = new ArrayList<>();
        lines.add("minimal kernel: " + minimalKernel.cached().map(Path::toString)
                .orElse(minimalKernel.whyNotBuildable().map(r -> "cannot be built: " + r)
                        .orElse("not built yet (isola up builds it, about 3-6 minutes)")));
        lines.add("generic kernel: " + GenericKernel.find().map(k -> k.image() + " with " + k.modules().size()
                + " modules from the initramfs").orElse(GenericKernel.whyMissing()));
        if (probe().runs()) {
            AcceleratorProbe.Choice choice = accelerator();
            lines.add("accelerator: " + choice.accelerator().wireName() + " (" + choice.reason() + ")");
            lines.add("jail: QEMU chrooted, as uids " + uids.first() + "-" + uids.last() + " without capabilities, "
                    + "-sandbox " + VmJail.SANDBOX);
            lines.add(templates.map(VmTemplates::diagnostics)
                    .orElse("clones: off (sandbox.microvm.clones); every instance boots"));
            lines.add("isolation: " + (choice.accelerator() == Accelerator.KVM ? "vm (hardware virtualisation)"
                    : "container only: under TCG the emulator is no security boundary, the jail around it is"));
        }
        return lines;
    }

    /** Under TCG, only the jail: a process on the host kernel behind a uid, a chroot and a seccomp filter. */
    @Override
    public Optional<Isolation> reducedIsolation() {
        return accelerator().accelerator() == Accelerator.KVM ? Optional.empty() : Optional.of(Isolation.CONTAINER);
    }

    /** VMs, taps and cgroups of this state directory's earlier run; other Isolas' are left alone. */
    @Override
    public void reapLeftovers() {
        List<String> ids = context.leftoverInstanceIds();
        if (stopLeftoverVms(context.runDir())) {
            started = true; // their parent cgroups are this state directory's: removed at this run's stop
        }
        network.reapLeftovers(ids.stream().map(InstanceNetwork::key).toList());
        VmCgroup.reapLeftovers(ids);
    }

    @Override
    public void shutdown() {
        templates.ifPresent(VmTemplates::shutdown);
        exits.close();
        if (started) { // as for containers: never race another Isola that is making a VM's cgroup
            VmCgroup.removeParents();
        }
    }

    /** The minimal guest kernel, built now (with progress) if this host can build it and the cache lacks it. */
    @Override
    public void prepare(Consumer<String> progress) {
        if (probe().runs()) {
            minimalKernel.prebuild(progress);
        }
    }

    @Override
    public Instance start(InstanceSpec spec) {
        started = true;
        GuestKernel kernel = kernel(spec.kernel().orElse(GuestKernel.MINIMAL));
        Path init = GoProgram.GUEST_INIT.ensureBuilt(runner, cacheDir);
        GuestImages.Images built = images.ensure(spec.artifact(), kernel, init, spec.env(), spec.egress(),
                spec.openFiles());
        VmTemplates.Key key = new VmTemplates.Key(built, kernel, init, Math.max(64, spec.limits().memoryBytes() >> 20),
                accelerator().accelerator());
        if (templates.isPresent() && spec.clones()) {
            Optional<VmTemplates.Template> template = templates.get().ready(key);
            if (template.isPresent()) {
                try {
                    return launch(spec, key, template);
                } catch (SandboxException e) {
                    // The template is at fault or the host changed under it: boot this one, and all after it.
                    templates.get().discard(template.get(), e.getMessage());
                    clearWorkDir(spec.workDir());
                }
            } else {
                templates.get().makeInBackground(key, spec.limits().cpus());
            }
        }
        return launch(spec, key, Optional.empty());
    }

    /** Boots a VM, or resumes a clone of {@code template}: the same jail, cgroup, tap and limits either way. */
    private Instance launch(InstanceSpec spec, VmTemplates.Key key, Optional<VmTemplates.Template> template) {
        int uid = uids.acquire(spec.id());
        InstanceNetwork.Attachment net;
        try {
            net = network.attachTap(InstanceNetwork.key(spec.id()));
        } catch (RuntimeException e) {
            uids.release(uid);
            throw e;
        }
        URI readyUrl = null;
        VmCgroup cgroup = null;
        VmProcess process = null;
        try {
            VmJail jail = VmJail.prepare(spec.workDir(), uid);
            if (spec.egress()) {
                net.allowEgress();
            }
            readyUrl = network.exposeReadyUrl(spec.readyUrl());
            cgroup = VmCgroup.create(spec.id(), spec.limits().memoryBytes() + QEMU_OVERHEAD_BYTES,
                    spec.limits().cpus());
            Path vmexec = GoProgram.VMEXEC.ensureBuilt(runner, cacheDir);
            Optional<String> tap = Optional.of(net.device());
            QemuCommand command = template.isPresent()
                    ? new QemuCommand(vmexec, key.kernel(), key.images(), key.accelerator(), tbMib, key.memoryMib(),
                    VmTemplates.cmdline(key), tap, net.mac(), spec.workDir(),
                    Optional.of(new QemuCommand.Memory(template.get().memory(), false)), true)
                    : new QemuCommand(vmexec, key.kernel(), key.images(), key.accelerator(), tbMib, key.memoryMib(),
                    bootCmdline(spec, key, net, readyUrl), tap, net.mac(), spec.workDir(), Optional.empty(), false);
            process = VmProcess.start(runner, exits, command, jail, cgroup, spec.console().file(),
                    template.map(VmTemplates.Template::state), false);
            // The uid is free for another VM only once no process runs as it.
            process.onExit().thenRun(() -> uids.release(uid));
            if (template.isPresent()) {
                VmTemplates.resume(spec.workDir(), new VmTemplates.Identity(net.address(), network.prefixLength(),
                        network.gateway(), net.mac(), readyUrl));
            }
            return MicrovmInstance.start(spec.id(), process,
                    new InetSocketAddress(net.address(), GuestImages.FUNCTION_PORT), spec.console(),
                    QemuCommand.qmpSocket(spec.workDir()), net, () -> network.forgetReadyUrl(spec.readyUrl()),
                    cgroup, template.isPresent() ? StartKind.CLONE : StartKind.COLD);
        } catch (RuntimeException | IOException e) {
            if (process == null) {
                if (cgroup != null) {
                    cgroup.killAll(); // a QEMU forked as the launch timed out runs as the uid: gone first
                }
                uids.release(uid);
            } else {
                process.kill();
            }
            net.close();
            if (readyUrl != null) {
                network.forgetReadyUrl(spec.readyUrl());
            }
            if (cgroup != null) {
                cgroup.close();
            }
            throw new SandboxException("Failed to " + (template.isPresent() ? "resume a clone as VM " : "start VM ")
                    + spec.id() + ": " + e.getMessage(), e);
        }
    }

    private List<String> bootCmdline(InstanceSpec spec, VmTemplates.Key key, InstanceNetwork.Attachment net,
                                     URI readyUrl) {
        List<String> cmdline = new ArrayList<>(BASE_CMDLINE);
        cmdline.addAll(List.of("isola.ip=" + net.address().getHostAddress(),
                "isola.prefix=" + network.prefixLength(), "isola.gw=" + network.gateway().getHostAddress(),
                "isola.instance=" + spec.id(), "isola.ready=" + readyUrl));
        cmdline.addAll(key.kernel().cmdline(key.accelerator()));
        return cmdline;
    }

    /** What a failed clone left in its work directory, so that a boot can use it (the console stays). */
    private static void clearWorkDir(Path workDir) {
        FileTrees.deleteQuietly(workDir.resolve("jail"));
        for (Path file : List.of(QemuCommand.qmpSocket(workDir), QemuCommand.identitySocket(workDir),
                QemuCommand.pidFile(workDir))) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "microvm: could not remove " + file + ": " + e.getMessage());
            }
        }
    }

    private GuestKernel kernel(String name) {
        if (name.equals(GuestKernel.GENERIC)) {
            return GenericKernel.find().orElseThrow(() -> new SandboxException("Failed to find the generic guest "
                    + "kernel: " + GenericKernel.whyMissing()));
        }
        Optional<Path> minimal = minimalKernel.cached();
        if (minimal.isEmpty()) {
            buildKernelInBackground();
            throw new SandboxException("The minimal guest kernel is not built yet: Isola is building it now "
                    + "(about 3-6 minutes; `isola up` builds it before starting). Try again when it is done.");
        }
        return new GuestKernel(GuestKernel.MINIMAL, minimal.get(), false, List.of(),
                minimal.get().getParent().getFileName().toString());
    }

    private synchronized void buildKernelInBackground() {
        if (kernelBuild != null && kernelBuild.isAlive()) {
            return;
        }
        Optional<String> notBuildable = minimalKernel.whyNotBuildable();
        if (notBuildable.isPresent()) {
            throw new SandboxException("The minimal guest kernel cannot be built on this host: "
                    + notBuildable.get());
        }
        kernelBuild = Thread.ofPlatform().daemon().name("isola-kernel-build").start(() -> {
            try {
                minimalKernel.ensureBuilt(line -> LOG.log(System.Logger.Level.INFO, "microvm: " + line));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "microvm: " + e.getMessage());
            }
        });
    }

    private AcceleratorProbe.Choice accelerator() {
        Optional<AcceleratorProbe.Choice> known = accelerators.known();
        if (known.isPresent()) {
            return known.get();
        }
        Optional<GuestKernel> kernel = minimalKernel.cached()
                .map(k -> new GuestKernel(GuestKernel.MINIMAL, k, false, List.of(), "probe"))
                .or(GenericKernel::find);
        if (kernel.isEmpty()) {
            return new AcceleratorProbe.Choice(Accelerator.TCG, "no guest kernel to test KVM with yet");
        }
        try {
            Files.createDirectories(cacheDir);
        } catch (IOException e) {
            return new AcceleratorProbe.Choice(Accelerator.TCG, "cannot write " + cacheDir + ": " + e.getMessage());
        }
        try {
            return accelerators.choose(kernel.get(), () -> GoProgram.GUEST_INIT.ensureBuilt(runner, cacheDir),
                    cacheDir);
        } catch (SandboxException e) {
            return new AcceleratorProbe.Choice(Accelerator.TCG, "could not test KVM: " + e.getMessage());
        }
    }

    /**
     * QEMU processes of a crashed earlier run of this state directory. Each left a pid file in its instance's work
     * directory; one whose work directory is gone (removed by hand, or a start that raced the stop) is still in a
     * VM cgroup. Either way a process is signalled only if its command line names a path under this state
     * directory's run directory (its QMP socket and chroot are there), so a recycled pid that now belongs to another
     * program, and another Isola's VMs, are never hit, unless that Isola's state directory is gone and no live run
     * claims it (its server was killed and its directory deleted: nothing else would ever stop them). Returns whether
     * there were any of this state directory's.
     */
    private boolean stopLeftoverVms(Path runDir) {
        Set<Long> candidates = new TreeSet<>(VmCgroup.processes());
        boolean pidFiles = false;
        if (Files.isDirectory(runDir)) {
            try (var instances = Files.list(runDir)) {
                for (Path dir : instances.toList()) {
                    Path pidFile = QemuCommand.pidFile(dir);
                    if (Files.isRegularFile(pidFile)) {
                        pidFiles = true;
                        candidates.add(Long.parseLong(Files.readString(pidFile).trim()));
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "microvm: could not read leftover VMs' pid files: "
                        + e.getMessage());
            }
        }
        String ours = runDir.toAbsolutePath() + "/";
        List<ProcessHandle> leftovers = candidates.stream().flatMap(pid -> ProcessHandle.of(pid).stream())
                .filter(h -> h.info().arguments().map(args -> Arrays.stream(args).anyMatch(a -> a.contains(ours)))
                        .orElse(false)).toList();
        leftovers.forEach(MicrovmBackend::stopNow);
        for (Long pid : candidates) {
            ProcessHandle.of(pid).filter(vm -> !leftovers.contains(vm)).ifPresent(vm -> vm.info().arguments()
                    .flatMap(MicrovmBackend::stateDirOf)
                    .ifPresent(gone -> network.whileAbandoned(gone, () -> stopNow(vm))));
        }
        return pidFiles || !leftovers.isEmpty();
    }

    private static void stopNow(ProcessHandle vm) {
        vm.destroyForcibly();
        vm.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> null).join();
    }

    /** The state directory a VM's command line names: its QMP socket is {@code <state>/run/<id>/qmp.sock}. */
    private static Optional<Path> stateDirOf(String[] arguments) {
        for (String argument : arguments) {
            Matcher m = QMP_UNDER_STATE.matcher(argument);
            if (m.matches()) {
                return Optional.of(Path.of(m.group(1)));
            }
        }
        return Optional.empty();
    }
}
