package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.isola.function.FunctionName;
import dev.isola.function.InvalidFunctionException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A function directory on the user's disk: the name its function.yaml declares, and an in-memory zip of its files
 * for upload. Only {@code name} is read here; the server validates the whole manifest and is the one authority.
 *
 * <p>The zip is deterministic (entries sorted, timestamps fixed) so an unchanged directory uploads identical bytes
 * and the server's {@code sourceSha256} tells whether anything changed. {@code .git} is skipped: history is large
 * and never needed by a build. java.util.zip cannot record Unix permissions, so executables arrive without their x
 * bit: for {@code runtime: binary} the server must mark the {@code entry} executable itself.
 */
final class FunctionDirectory {
    static final String MANIFEST = "function.yaml";
    private static final LocalDateTime FIXED_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    private final Path dir;
    private final FunctionName name;

    private FunctionDirectory(Path dir, FunctionName name) {
        this.dir = dir;
        this.name = name;
    }

    static FunctionDirectory open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CliException(dir + " is not a directory: pass the function's directory, the one holding "
                    + MANIFEST + ".");
        }
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new CliException("No " + MANIFEST + " in " + dir + ": a function directory needs one, with at "
                    + "least `name:` and `runtime:` (go, node, python or binary).");
        }
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(manifest.toFile());
        } catch (IOException e) {
            throw new CliException("Cannot parse " + manifest + ": " + e.getMessage().lines().findFirst().orElse(""),
                    e);
        }
        JsonNode name = root == null ? null : root.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
            throw new CliException(manifest + " has no `name:`; add one, e.g. `name: hello`.");
        }
        try {
            return new FunctionDirectory(dir, FunctionName.of(name.asText()));
        } catch (InvalidFunctionException e) {
            throw new CliException(manifest + ": " + e.getMessage(), e);
        }
    }

    FunctionName name() {
        return name;
    }

    byte[] zip() {
        List<Path> files = regularFiles();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Path file : files) {
                ZipEntry entry = new ZipEntry(entryName(file));
                entry.setTimeLocal(FIXED_TIME);
                zip.putNextEntry(entry);
                Files.copy(file, zip);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new CliException("Cannot read " + dir + " to upload it: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    private List<Path> regularFiles() {
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    return isGit(d) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    // A symlink to a file contributes its target's content; links to directories are not followed.
                    if (!isGit(file) && Files.isRegularFile(file)) {
                        if (attrs.isSymbolicLink()) {
                            requireInside(file);
                        }
                        files.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new CliException("Cannot list the files of " + dir + ": " + e.getMessage(), e);
        }
        return files.stream().sorted(Comparator.comparing(this::entryName)).toList();
    }

    /**
     * A link whose target is outside the directory would upload a file of the operator's machine (an admin token, a
     * key) to a function that may be anyone's code: refused, saying which.
     */
    private void requireInside(Path link) throws IOException {
        Path target = link.toRealPath();
        if (!target.startsWith(dir.toRealPath())) {
            throw new CliException(link + " links to " + target + ", outside " + dir + ": Isola uploads only what "
                    + "the function's directory holds; copy the file in, or remove the link.");
        }
    }

    private boolean isGit(Path path) {
        return !path.equals(dir) && path.getFileName().toString().equals(".git");
    }

    private String entryName(Path file) {
        // Zip entry names always use '/', whatever the host's separator.
        return dir.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }
}
