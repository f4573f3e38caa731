package dev.isola.host;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where host programs are looked up: the directories of the {@code PATH} the platform was started with (read once,
 * by the configuration loader), so that every lookup of {@code ip}, {@code runc} or {@code go} agrees.
 */
public record Executables(List<Path> directories) {
    /** Used when the environment has no {@code PATH} at all. */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public Executables {
        directories = List.copyOf(directories);
    }

    /** From a {@code PATH}-style value; empty or missing means {@link #DEFAULT_PATH}. */
    public static Executables fromPath(Optional<String> pathVariable) {
        String path = pathVariable.filter(p -> !p.isBlank()).orElse(DEFAULT_PATH);
        return new Executables(Stream.of(path.split(File.pathSeparator)).filter(d -> !d.isEmpty()).map(Path::of)
                .toList());
    }

    /** The first executable file called {@code name}, or for an absolute name that file itself if executable. */
    public Optional<Path> find(String name) {
        if (name.contains("/")) {
            Path p = Path.of(name);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        return directories.stream().map(d -> d.resolve(name))
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
                .map(Path::toAbsolutePath).findFirst();
    }

    /** Like {@link #find} but fails with a message that names the program. */
    public Path require(String name) {
        return find(name).orElseThrow(() -> new HostException("Failed to find " + name + " on the host's PATH ("
                + pathVariable() + ")"));
    }

    public boolean has(String name) {
        return find(name).isPresent();
    }

    /** The directories as a {@code PATH} value, for the environment of children. */
    public String pathVariable() {
        return String.join(File.pathSeparator, directories.stream().map(Path::toString).toList());
    }
}
