package dev.isola.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The example functions ({@code functions/<runtime>/<workload>}: go, node, python) packed for upload with a
 * manifest written for the experiment: the example's runtime, entry, handler and env, the run's backend, the paper's
 * limits and the experiment's scaling. The deploy archive is what {@code isola deploy} would send; the server builds it.
 */
final class Workloads {
    /** The paper's per-function limits. The timeout is long enough for the slowest paper workload under load. */
    static final String LIMITS = "{memory: 512Mi, cpus: 1, timeout: 120s}";
    /** Long enough that no instance idles out during a measurement. */
    private static final String IDLE_TIMEOUT = "1h";

    private final Path root;

    Workloads(Path root) {
        this.root = root;
    }

    Path dir(String runtime, String workload) {
        return root.resolve(runtime).resolve(workload);
    }

    /** A function name unique per workload and runtime, e.g. {@code bench-hello-go}. */
    static String name(FunctionSpec spec, String runtime) {
        return "bench-" + spec.workload() + "-" + runtime + (spec.tag().isEmpty() ? "" : "-" + spec.tag());
    }

    byte[] archive(FunctionSpec spec, String runtime, String backend) {
        Path dir = dir(runtime, spec.workload());
        Path manifest = dir.resolve("function.yaml");
        if (!Files.isRegularFile(manifest)) {
            throw new BenchException("Failed to find the example function " + dir + ": no function.yaml (pass "
                    + "--functions DIR, the directory holding go/, node/ and python/)");
        }
        try {
            return zip(dir, manifest(Files.readString(manifest), spec, runtime, backend));
        } catch (IOException e) {
            throw new BenchException("Failed to pack the example function " + dir + ": " + e.getMessage(), e);
        }
    }

    static String manifest(String example, FunctionSpec spec, String runtime, String backend) throws IOException {
        JsonNode original = new YAMLMapper().readTree(example);
        StringBuilder y = new StringBuilder();
        y.append("name: ").append(name(spec, runtime)).append('\n');
        y.append("runtime: ").append(original.path("runtime").asText()).append('\n');
        if (original.hasNonNull("entry")) { // else the runtime's default, or the handler module (Node.js)
            y.append("entry: ").append(quote(original.path("entry").asText())).append('\n');
        }
        if (original.hasNonNull("handler")) {
            y.append("handler: ").append(quote(original.path("handler").asText())).append('\n');
        }
        Map<String, String> env = new TreeMap<>();
        original.path("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        if (!env.isEmpty()) {
            y.append("env:\n");
            env.forEach((k, v) -> y.append("  ").append(k).append(": ").append(quote(v)).append('\n'));
        }
        y.append("backend: ").append(backend).append('\n');
        y.append("limits: ").append(LIMITS).append('\n');
        y.append("scaling: {concurrency: ").append(spec.concurrency()).append(", minInstances: ")
                .append(spec.minInstances()).append(", maxInstances: ").append(spec.maxInstances())
                .append(", idleTimeout: ").append(IDLE_TIMEOUT).append(", singleUse: ").append(spec.singleUse())
                .append(", clones: ").append(spec.clones())
                .append(spec.standby() > 0 ? ", standby: " + spec.standby() : "").append("}\n");
        return y.toString();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    private static byte[] zip(Path dir, String manifest) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes); Stream<Path> walk = Files.walk(dir)) {
            List<Path> files = walk.filter(Files::isRegularFile).sorted().toList();
            for (Path p : files) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (rel.equals("function.yaml") || rel.startsWith(".git/")) {
                    continue;
                }
                zip.putNextEntry(new ZipEntry(rel));
                zip.write(Files.readAllBytes(p));
                zip.closeEntry();
            }
            zip.putNextEntry(new ZipEntry("function.yaml"));
            zip.write(manifest.getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }
}
