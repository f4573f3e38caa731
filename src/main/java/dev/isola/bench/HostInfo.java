package dev.isola.bench;

import dev.isola.sandbox.spi.Sandboxes;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * What a reader needs to compare a run with another one (the paper's harness recorded none of it): CPU model, cores,
 * memory, kernel, virtualization accelerator, and the version of every tool the backends and experiments use. Each
 * tool is asked with its own version flag; a missing tool is recorded as {@code "not installed"}, never guessed.
 */
final class HostInfo {
    private static final long TOOL_TIMEOUT_SECONDS = 10;

    private HostInfo() {
    }

    static Map<String, Object> host() {
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
        m.put("perfInstructions", PerfStat.available());
        m.put("root", MemInfo.canDropCaches());
        m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        return m;
    }

    /**
     * What the microvm backend really runs guests with, from its own probe (a test boot under KVM): on hosts whose
     * {@code /dev/kvm} cannot run stock guests that is TCG, and microVM figures must say so.
     */
    private static String microvmAccelerator() {
        return Sandboxes.load().find("microvm")
                .filter(p -> p.probe().available())
                .flatMap(p -> p.diagnostics().stream().filter(l -> l.startsWith("accelerator: ")).findFirst())
                .map(l -> l.substring("accelerator: ".length()))
                .orElse("none (the microvm backend is not available on this host)");
    }

    static Map<String, String> tools() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("runc", version(List.of("runc", "--version")));
        m.put("runsc", version(List.of("runsc", "--version")));
        m.put("qemu", version(List.of("qemu-system-x86_64", "--version")));
        m.put("go", version(List.of("go", "version")));
        m.put("node", version(List.of("node", "--version")));
        // hey has no version flag: the package manager knows it.
        m.put("hey", Hey.executable().map(path -> version(List.of("dpkg-query", "-W", "-f", "${Version}", "hey"))
                .replace("not installed", "installed at " + path)).orElse("not installed"));
        m.put("perf", version(List.of("perf", "--version")));
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

    /** The first non-empty output line of a version command; "not installed" when it cannot run or fails. */
    static String version(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            try {
                byte[] out = p.getInputStream().readNBytes(4096);
                if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    return "not installed";
                }
                String text = new String(out, StandardCharsets.UTF_8).strip();
                List<String> lines = text.lines().filter(l -> !l.isBlank()).limit(2).toList();
                return lines.isEmpty() ? "not installed" : String.join("; ", lines);
            } finally {
                p.destroyForcibly(); // our own child, done or overdue
            }
        } catch (IOException e) {
            return "not installed";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
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
