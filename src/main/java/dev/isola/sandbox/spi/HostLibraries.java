package dev.isola.sandbox.spi;

import dev.isola.net.HostCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host files a dynamically linked program needs inside a container: the program and exactly the shared
 * libraries {@code ldd} lists (with the dynamic loader). Bind-mounted read-only, so Node.js (about 100 MB with its
 * libraries) is shared by every container instead of copied into each.
 */
public final class HostLibraries {
    private static final Pattern PATH = Pattern.compile("(/\\S+)");
    private static final Map<Path, List<Path>> CACHE = new ConcurrentHashMap<>();

    private HostLibraries() {
    }

    public static List<Path> closure(Path program) {
        return CACHE.computeIfAbsent(program, p -> {
            List<Path> files = new ArrayList<>();
            files.add(p);
            for (String line : HostCommand.run(List.of("ldd", p.toString())).lines().toList()) {
                Matcher m = PATH.matcher(line.contains("=>") ? line.substring(line.indexOf("=>")) : line);
                if (m.find()) {
                    Path lib = Path.of(m.group(1));
                    if (Files.exists(lib) && !files.contains(lib)) {
                        files.add(lib);
                    }
                }
            }
            return List.copyOf(files);
        });
    }

    /** {@code name} on the host's PATH. */
    public static Path which(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath();
            }
        }
        throw new dev.isola.sandbox.spi.SandboxException("Failed to find " + name + " on the host's PATH");
    }
}
