package dev.isola.bench;

import dev.isola.config.ConfigLoader;
import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.HostException;
import dev.isola.host.ProcessRunner;
import dev.isola.server.HostBackends;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What a reader needs to compare a run with another one (the paper's harness recorded none of it): CPU model, cores,
 * memory, kernel, virtualization accelerator, and the version of every tool the backends and experiments use. Each
 * tool is asked with its own version flag, through the run's {@link ProcessRunner}; a missing tool is recorded as
 * {@code "not installed"}, never guessed.
 */
final class HostInfo {
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(10);

    private HostInfo() {
    }

    static Map<String, Object> host(Tools tools) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpuModel", firstValue(Path.of("/proc/cpuinfo"), "model name", ':')
                .orElse(System.getProperty("os.arch")));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memoryMib", firstValue(Path.of("/proc/meminfo"), "MemTotal", ':')
                .map(v -> Long.parseLong(v.replaceAll("\\D+", "")) / 1024).orElse(-1L));
        m.put("kernel", read(Path.of("/proc/sys/kernel/osrelease")).orElse(System.getProperty("os.version")));
        m.put("os", firstValue(Path.of("/etc/os-release"), "PRETTY_NAME", '=').map(v -> v.replace("\"", ""))
                .orElse(System.getProperty("os.name")));
        m.put("arch", System.getProperty("os.arch"));
        String accelerator = microvmAccelerator();
        int why = accelerator.indexOf(" (");
        m.put("accelerator", why < 0 ? accelerator : accelerator.substring(0, why));
        m.put("acceleratorReason", why < 0 ? "" : accelerator.substring(why + 2, accelerator.length() - 1));
        m.put("perfInstructions", tools.perf().available());
        m.put("root", MemInfo.canDropCaches());
        m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        return m;
    }

    /**
     * What the microvm backend really runs guests with, from its own probe (a test boot under KVM): on hosts whose
     * {@code /dev/kvm} cannot run stock guests that is TCG, and microVM figures must say so.
     */
    private static String microvmAccelerator() {
        return HostBackends.of(ConfigLoader.load(Optional.empty())).report("microvm")
                .flatMap(r -> r.diagnostics().stream().filter(l -> l.startsWith("accelerator: ")).findFirst())
                .map(l -> l.substring("accelerator: ".length()))
                .orElse("none (the microvm backend is not available on this host)");
    }

    /** The version of every tool the backends and experiments use, by name. */
    static Map<String, String> tools(Tools tools) {
        ProcessRunner runner = tools.runner();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("runc", version(runner, List.of("runc", "--version")));
        m.put("runsc", version(runner, List.of("runsc", "--version")));
        m.put("qemu", version(runner, List.of("qemu-system-x86_64", "--version")));
        m.put("go", version(runner, List.of("go", "version")));
        m.put("node", version(runner, List.of("node", "--version")));
        m.put("python", version(runner, List.of("/usr/bin/python3", "--version"))); // Debian's: it serves functions
        // hey has no version flag: the package manager knows it.
        m.put("hey", tools.hey().executable().map(path -> version(runner, List.of("dpkg-query", "-W", "-f",
                "${Version}", "hey")).replace("not installed", "installed at " + path)).orElse("not installed"));
        m.put("perf", version(runner, List.of("perf", "--version")));
        return m;
    }

    /** The Maven version of this build (from the jar's pom.properties), e.g. {@code 0.1.0-SNAPSHOT}. */
    static String isolaVersion() {
        try (InputStream in = HostInfo.class.getResourceAsStream("/META-INF/maven/dev.isola/isola/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            // fall through
        }
        return Optional.ofNullable(HostInfo.class.getPackage().getImplementationVersion()).orElse("dev (not a jar)");
    }

    /**
     * The first two non-empty output lines of a version command, its program looked up on the platform's PATH as the
     * backends look it up; "not installed" when it is not there, cannot run, fails or gives no answer in time.
     */
    static String version(ProcessRunner runner, List<String> command) {
        Optional<Path> program = runner.executables().find(command.getFirst());
        if (program.isEmpty()) {
            return "not installed";
        }
        List<String> argv = new ArrayList<>(command);
        argv.set(0, program.get().toString());
        CommandResult result;
        try {
            result = runner.result(Command.of(argv).withTimeout(TOOL_TIMEOUT));
        } catch (HostException e) {
            return Thread.currentThread().isInterrupted() ? "unknown (interrupted)" : "not installed";
        }
        if (!result.succeeded()) {
            return "not installed";
        }
        List<String> lines = result.output().lines().filter(l -> !l.isBlank()).limit(2).toList();
        return lines.isEmpty() ? "not installed" : String.join("; ", lines);
    }

    private static Optional<String> firstValue(Path file, String key, char separator) {
        try {
            return Files.readAllLines(file).stream().filter(l -> l.startsWith(key))
                    .map(l -> l.substring(l.indexOf(separator) + 1).strip()).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
