package dev.isola.sandbox.process;

import dev.isola.host.Command;
import dev.isola.host.PidfdExits;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.Instance;
import dev.isola.sandbox.spi.InstanceSpec;
import dev.isola.sandbox.spi.OomScore;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxException;
import dev.isola.sandbox.spi.SandboxUids;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code process} backend: each instance is a child process of the platform listening on a loopback port
 * ({@link LoopbackPorts}).
 *
 * <p>No isolation — the function runs with the platform's file system and network. It exists for development and
 * as the baseline of the benchmarks; the platform says so loudly when it is used. Limits are not enforced (memory
 * and CPU limits need cgroups, which the container backends bring). When Isola runs as root, each instance runs as
 * its own unprivileged uid ({@link Unprivileged}); otherwise as Isola's user.
 */
final class ProcessBackend implements SandboxBackend {
    private static final System.Logger LOG = System.getLogger(ProcessBackend.class.getName());

    private final SandboxContext context;
    private final LoopbackPorts ports = new LoopbackPorts();
    /** Sees every instance's exit: one thread for all, not a JDK reaper thread per child. */
    private final PidfdExits exits = new PidfdExits();
    /** Empty when Isola does not run as root: then functions run as its user, which has nothing to drop. */
    private final Optional<Unprivileged> unprivileged;

    ProcessBackend(SandboxContext context, SandboxUids uids) {
        this.context = context;
        this.unprivileged = "root".equals(System.getProperty("user.name"))
                ? Optional.of(new Unprivileged(uids, context.stateDir(), context.runner()))
                : Optional.empty();
    }

    @Override
    public Availability probe() {
        if (unprivileged.isEmpty()) {
            return new Availability.Ready("child processes on loopback ports, as Isola's user; NO isolation, for "
                    + "development and baselines only");
        }
        SandboxUids uids = unprivileged.get().uids();
        Optional<String> collision = uids.hostCollision(Path.of("/etc"));
        if (collision.isPresent()) {
            return new Availability.Unavailable("the process uids " + uids.first() + "-" + uids.last()
                    + " (sandbox.process.uidBase, uidCount) hold " + collision.get() + "; move the range");
        }
        Optional<Path> closed = unprivileged.get().closedAncestor();
        if (closed.isPresent()) {
            return new Availability.Unavailable(closed.get() + " is not searchable by other users, so the instances' "
                    + "uids cannot reach their code in " + unprivileged.get().dir() + "; put the state directory "
                    + "where every parent allows it (chmod o+x), e.g. /var/lib/isola");
        }
        for (String tool : List.of("prlimit", "setpriv", "kill")) {
            if (!context.runner().executables().has(tool)) {
                return new Availability.Unavailable(tool + " is not installed (" + (tool.equals("kill") ? "procps"
                        : "util-linux") + ")");
            }
        }
        return new Availability.Ready("child processes on loopback ports, each as its own uid (" + uids.first()
                + "-" + uids.last() + "); NO isolation beyond that, for development and baselines only");
    }

    /** Stops the instances a crashed run on this state directory left running (see {@link ProcessRecord}). */
    @Override
    public void reapLeftovers() {
        List<ProcessHandle> killed = new ArrayList<>();
        for (String id : context.leftoverInstanceIds()) {
            List<ProcessHandle> processes = ProcessRecord.killLeftover(context.runDir().resolve(id));
            if (!processes.isEmpty()) {
                LOG.log(System.Logger.Level.INFO, "process: stopped instance " + id + ", left by an earlier run");
                killed.addAll(processes);
            }
        }
        ProcessRecord.awaitExit(killed);
        // Only now: the leftovers could change their scratch directories under root's deletion.
        unprivileged.ifPresent(Unprivileged::reap);
    }

    @Override
    public Instance start(InstanceSpec spec) {
        int port = ports.take(spec.id());
        Unprivileged.Run run = null;
        Process process;
        try {
            run = unprivileged.map(u -> u.prepare(spec.id(), spec.artifact())).orElse(null);
            Path root = run != null ? run.root() : spec.artifact().root();
            Path tmp = run != null ? run.tmp() : Files.createDirectories(spec.workDir().resolve("tmp"));
            List<String> argv = command(spec.artifact().argv(), root);
            Map<String, String> platform = baseEnvironment(tmp);
            platform.put("PORT", Integer.toString(port));
            platform.put("HOST", "127.0.0.1");
            Command command;
            if (run != null) {
                command = unprivileged.orElseThrow().command(run, argv, spec.openFiles(), platform, spec.env());
            } else {
                Map<String, String> env = new HashMap<>(spec.env());
                env.putAll(platform);
                command = Command.of(argv).withEnvironment(env);
            }
            process = context.runner().startWatched(command.in(root), spec.console().file(), exits);
        } catch (IOException | RuntimeException e) {
            ports.release(port);
            if (run != null) {
                unprivileged.orElseThrow().finish(run);
            }
            throw new SandboxException("Failed to start process of instance " + spec.id() + ": " + e.getMessage(), e);
        }
        Unprivileged.Run started = run;
        Runnable afterExit = () -> {
            ports.release(port);
            if (started != null) {
                unprivileged.orElseThrow().finish(started);
            }
        };
        try {
            Optional<ProcessHandle> handle = handleWhileRunning(process);
            if (handle.isPresent()) { // else it exited at once: the launcher reports how, with its last lines
                ProcessRecord.write(spec.workDir(), handle.get());
                OomScore.raise(handle.get());
            }
        } catch (IOException e) {
            process.destroyForcibly(); // our own child: the signal cannot reach another process
            // Bounded: a child stuck in the kernel past SIGKILL must not hold this start for ever (as root, the
            // clean-up after it ends every process of the instance's uid anyway).
            process.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> null).join();
            afterExit.run();
            throw new SandboxException("Failed to record or set up process of instance " + spec.id() + ": "
                    + e.getMessage(), e);
        }
        return new ProcessInstance(spec.id(), process, new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                spec.console(), afterExit);
    }

    /** A handle on {@code process} (it pins the start time), unless it has exited and been reaped already. */
    private static Optional<ProcessHandle> handleWhileRunning(Process process) {
        try {
            return Optional.of(process.toHandle());
        } catch (UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    @Override
    public void shutdown() {
        unprivileged.ifPresent(Unprivileged::shutdown);
        exits.close();
    }

    /** The artefact's command with a program of its own ({@code ./...}) resolved in {@code root}. */
    private static List<String> command(List<String> artefactArgv, Path root) {
        List<String> argv = new ArrayList<>(artefactArgv);
        String program = argv.getFirst();
        if (program.startsWith("./")) {
            argv.set(0, root.resolve(program.substring(2)).toString());
        }
        return argv;
    }

    private Map<String, String> baseEnvironment(Path tmp) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", context.runner().executables().pathVariable());
        env.put("HOME", tmp.toString());
        env.put("TMPDIR", tmp.toString());
        env.put("LANG", "C.UTF-8");
        return env;
    }
}
