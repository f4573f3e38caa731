package dev.isola.sandbox.microvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The generic guest kernel: Debian's {@code linux-image-cloud-amd64}, as installed in {@code /boot}. Its virtio
 * drivers are modules; the ones a function VM needs and their dependencies (from {@code modules.dep}, loaded
 * dependencies first) go into the initramfs, and the init loads them.
 */
final class GenericKernel {
    /** What a function VM needs from the kernel: the virtio-mmio transport, the network card and the root disk. */
    private static final List<String> NEEDED = List.of("virtio_mmio", "virtio_net", "virtio_blk");

    private GenericKernel() {
    }

    /** The newest installed cloud kernel, or why there is none. */
    static Optional<GuestKernel> find() {
        return newestImage(Path.of("/boot")).flatMap(image -> {
            String release = image.getFileName().toString().substring("vmlinuz-".length());
            Path modules = Path.of("/lib/modules", release);
            try {
                return Optional.of(new GuestKernel(GuestKernel.GENERIC, image, true, moduleClosure(modules), release));
            } catch (IOException | IllegalStateException e) {
                return Optional.empty();
            }
        });
    }

    static String whyMissing() {
        return "no Debian cloud kernel in /boot (apt-get install linux-image-cloud-amd64)";
    }

    private static Optional<Path> newestImage(Path boot) {
        try (Stream<Path> files = Files.list(boot)) {
            return files.filter(p -> p.getFileName().toString().matches("vmlinuz-.*-cloud-amd64"))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The needed modules and their dependencies, each after what it depends on. */
    static List<Path> moduleClosure(Path modulesDir) throws IOException {
        Map<String, List<String>> deps = new HashMap<>();
        Map<String, String> byName = new HashMap<>();
        for (String line : Files.readAllLines(modulesDir.resolve("modules.dep"))) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String module = line.substring(0, colon);
            String rest = line.substring(colon + 1).trim();
            deps.put(module, rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
            byName.put(moduleName(module), module);
        }
        Set<String> ordered = new LinkedHashSet<>();
        for (String name : NEEDED) {
            String module = byName.get(name);
            if (module == null) {
                // Built into this kernel: nothing to load.
                continue;
            }
            visit(module, deps, ordered, new LinkedHashSet<>());
        }
        List<Path> out = new ArrayList<>();
        for (String module : ordered) {
            out.add(modulesDir.resolve(module));
        }
        return out;
    }

    private static void visit(String module, Map<String, List<String>> deps, Set<String> ordered, Set<String> path) {
        if (ordered.contains(module)) {
            return;
        }
        if (!path.add(module)) {
            throw new IllegalStateException("module dependency cycle at " + module);
        }
        for (String dep : deps.getOrDefault(module, List.of())) {
            visit(dep, deps, ordered, path);
        }
        ordered.add(module);
    }

    /** {@code kernel/drivers/net/virtio_net.ko[.xz]} -> {@code virtio_net} (dashes and underscores are one). */
    static String moduleName(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        return file.substring(0, file.indexOf(".ko")).replace('-', '_');
    }
}
