package dev.isola.sandbox.process;

import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.Instance;
import dev.isola.sandbox.spi.InstanceSpec;
import dev.isola.sandbox.spi.OomScore;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxException;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code process} backend: each instance is a child process of the platform listening on a loopback port
 * ({@link LoopbackPorts}).
 *
 * <p>No isolation at all — the function runs with the platform's user, file system and network. It exists for
 * development and as the baseline of the benchmarks; the platform says so loudly when it is used. Limits are not
 * enforced (memory and CPU limits need cgroups, which the container backends bring).
 */
final class ProcessBackend implements SandboxBackend {
    private static final System.Logger LOG = System.getLogger(ProcessBackend.class.getName());

    private final SandboxContext context;
    private final LoopbackPorts ports = new LoopbackPorts();

    ProcessBackend(SandboxContext context) {
        this.context = context;
    }

    @Override
    public Availability probe() {
        return new Availability.Ready("child processes on loopback ports; NO isolation, for development and "
                + "baselines only");
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
    }

    @Override
    public Instance start(InstanceSpec spec) {
        int port = ports.take(spec.id());
        Path tmp = spec.workDir().resolve("tmp");
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            ports.release(port);
            throw new SandboxException("Failed to create scratch directory of instance " + spec.id() + ": "
                    + e.getMessage(), e);
        }
        ProcessBuilder builder = new ProcessBuilder(command(spec))
                .directory(spec.artifact().root().toFile())
                .redirectOutput(spec.console().redirect())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = builder.environment();
        env.clear();
        env.putAll(baseEnvironment(tmp));
        env.putAll(spec.env());
        env.put("PORT", Integer.toString(port));
        env.put("HOST", "127.0.0.1");
        Process process;
        try {
            process = context.runner().start(builder);
        } catch (RuntimeException e) {
            ports.release(port);
            throw new SandboxException("Failed to start process of instance " + spec.id() + ": " + e.getMessage(), e);
        }
        try {
            ProcessRecord.write(spec.workDir(), process.toHandle());
            OomScore.raise(process.pid()); // our child, not yet reaped: the pid is its own
        } catch (IOException e) {
            process.destroyForcibly();
            ports.release(port);
            throw new SandboxException("Failed to record or set up process of instance " + spec.id() + ": "
                    + e.getMessage(), e);
        }
        return new ProcessInstance(spec.id(), process, new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                spec.console(), () -> ports.release(port));
    }

    private static List<String> command(InstanceSpec spec) {
        List<String> argv = new ArrayList<>(spec.artifact().argv());
        String program = argv.getFirst();
        if (program.startsWith("./")) {
            argv.set(0, spec.artifact().root().resolve(program.substring(2)).toString());
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
