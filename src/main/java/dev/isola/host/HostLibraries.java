package dev.isola.host;

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
 * libraries) is shared by every container instead of copied into each. Looked up once per program.
 */
public final class HostLibraries {
    private static final Pattern PATH = Pattern.compile("(/\\S+)");

    private final ProcessRunner runner;
    private final Map<Path, List<Path>> closures = new ConcurrentHashMap<>();

    public HostLibraries(ProcessRunner runner) {
        this.runner = runner;
    }

    /** {@code program} followed by every shared library it loads. */
    public List<Path> closure(Path program) {
        return closures.computeIfAbsent(program, p -> {
            List<Path> files = new ArrayList<>();
            files.add(p);
            for (String line : runner.run(List.of("ldd", p.toString())).lines().toList()) {
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
}
