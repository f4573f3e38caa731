package dev.isola.sandbox.process;

import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.Instance;
import dev.isola.sandbox.spi.InstanceSpec;
import dev.isola.sandbox.spi.ProcessStarter;
import dev.isola.sandbox.spi.SandboxException;
import dev.isola.sandbox.spi.SandboxProvider;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code process} backend: each instance is a child process of the platform listening on a loopback port.
 *
 * <p>No isolation at all — the function runs with the platform's user, file system and network. It exists for
 * development and as the baseline of the benchmarks; the platform says so loudly when it is used. Limits are not
 * enforced (memory and CPU limits need cgroups, which the container backends bring).
 *
 * <p>Port choice: ports come from below the kernel's ephemeral range ({@code ip_local_port_range}), tried in turn
 * and checked free by binding them, and are remembered until the instance is closed, so no two live instances ever
 * get one port. Below the ephemeral range because a port is free only until the child binds it: the platform's own
 * outgoing connections (readiness probes, the proxy's upstream connections) take ephemeral ports, and in a burst of
 * starts one of them would take a port just handed to a child (measured: a few failed starts per 100-instance burst
 * with ports from bind(0)). Another program could still take a port in between; the child then fails to bind,
 * exits, and the dispatcher reports a failed start with its output.
 */
public final class ProcessSandboxProvider implements SandboxProvider {
    private static final System.Logger LOG = System.getLogger(ProcessSandboxProvider.class.getName());
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
    private static final int PORT_ATTEMPTS = 1000;
    private static final int LOWEST_PORT = 10_000;
    private static final java.util.concurrent.atomic.AtomicInteger NEXT_PORT = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public String type() {
        return "process";
    }

    @Override
    public boolean isolating() {
        return false;
    }

    @Override
    public Availability probe() {
        return Availability.yes("child processes on loopback ports; NO isolation, for development and baselines only");
    }

    /** Stops the instances a crashed run on {@code stateDir} left running (see {@link ProcessRecord}). */
    @Override
    public void open(Path stateDir) {
        for (String id : SandboxProvider.leftoverInstanceIds(stateDir)) {
            if (ProcessRecord.stopLeftover(stateDir.resolve("run").resolve(id))) {
                LOG.log(System.Logger.Level.INFO, "process: stopped instance " + id + ", left by an earlier run");
            }
        }
    }

    @Override
    public Instance start(InstanceSpec spec) {
        int port = freeLoopbackPort(spec.id());
        Path tmp = spec.workDir().resolve("tmp");
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new SandboxException("Failed to create scratch directory of instance " + spec.id() + ": " + e.getMessage(), e);
        }
        ProcessBuilder builder = new ProcessBuilder(command(spec))
                .directory(spec.artifact().root().toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = builder.environment();
        env.clear();
        env.putAll(baseEnvironment(tmp));
        env.putAll(spec.env());
        env.put("PORT", Integer.toString(port));
        env.put("HOST", "127.0.0.1");
        try {
            Process process = ProcessStarter.start(builder);
            try {
                ProcessRecord.write(spec.workDir(), process.toHandle());
            } catch (IOException e) {
                process.destroyForcibly();
                throw e;
            }
            return new ProcessInstance(spec.id(), process, new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                    spec.output(), () -> releasePort(port));
        } catch (IOException e) {
            releasePort(port);
            throw new SandboxException("Failed to start process of instance " + spec.id() + ": " + e.getMessage(), e);
        }
    }

    private static List<String> command(InstanceSpec spec) {
        List<String> argv = new ArrayList<>(spec.artifact().argv());
        String program = argv.getFirst();
        if (program.startsWith("./")) {
            argv.set(0, spec.artifact().root().resolve(program.substring(2)).toString());
        }
        return argv;
    }

    private static Map<String, String> baseEnvironment(Path tmp) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        env.put("HOME", tmp.toString());
        env.put("TMPDIR", tmp.toString());
        env.put("LANG", "C.UTF-8");
        return env;
    }

    static int freeLoopbackPort(String id) {
        int ephemeralLow = ephemeralLow();
        if (ephemeralLow - LOWEST_PORT < PORT_ATTEMPTS) {
            return kernelChosenPort(id);
        }
        int span = ephemeralLow - LOWEST_PORT;
        for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
            int port = LOWEST_PORT + Math.floorMod(NEXT_PORT.getAndIncrement(), span);
            if (HANDED_OUT.add(port)) {
                if (bindable(port)) {
                    return port;
                }
                HANDED_OUT.remove(port);
            }
        }
        throw new SandboxException("Failed to reserve a loopback port for instance " + id + ": no free port in "
                + PORT_ATTEMPTS + " attempts between " + LOWEST_PORT + " and " + ephemeralLow);
    }

    static void releasePort(int port) {
        HANDED_OUT.remove(port);
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The low end of the kernel's ephemeral port range (32768 by default). Read by lines, not with
     * {@code Files.readString}: a numeric sysctl reports size 0 and answers only a read at offset 0, so the JDK's
     * read of a size-0 file gets its first byte alone ("3").
     */
    static int ephemeralLow() {
        try {
            return Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).getFirst()
                    .trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    /** Where no room is left below the ephemeral range: a port the kernel picks, remembered like the others. */
    private static int kernelChosenPort(String id) {
        for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new SandboxException("Failed to reserve a loopback port for instance " + id + ": "
                        + e.getMessage(), e);
            }
        }
        throw new SandboxException("Failed to reserve a loopback port for instance " + id + ": every port offered in "
                + PORT_ATTEMPTS + " attempts belongs to a live instance");
    }
}
