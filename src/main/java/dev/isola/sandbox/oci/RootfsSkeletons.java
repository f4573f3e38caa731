package dev.isola.sandbox.oci;

import dev.isola.host.FileTrees;
import dev.isola.sandbox.spi.SandboxException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The root directories of containers: empty skeletons of mount points, one per set of mount points, made once and
 * shared by every instance that needs that set (every Go function shares one, every Node.js function another).
 *
 * <p>Why shared: a container's root is read-only and everything in it is mounted over it inside the container's own
 * mount namespace, so the directory itself never changes. A skeleton per instance cost about ten inodes made and
 * deleted per cold start, and on ext4 allocating inodes amid that churn (it skips recently deleted ones) took about
 * a tenth of the host's CPU during a burst of starts.
 *
 * <p>Every mount point exists before the runtime starts, so no runtime writes here: {@code /tmp} is made with mode
 * 1777 (runc gives a tmpfs the mode of the directory it is mounted on), and each host file bind-mounted for Node.js
 * or Python has an empty file (a directory, for Python's standard library) to be mounted on. A skeleton is built under a temporary name and renamed into place, so
 * concurrent first starts never see half of one.
 */
final class RootfsSkeletons {
    private static final List<String> DIRECTORIES = List.of("proc", "dev", "sys", "fn");
    private static final String BUILDING = ".building-";

    private final Path dir;
    private final Map<String, Path> made = new ConcurrentHashMap<>();

    RootfsSkeletons(Path dir) {
        this.dir = dir;
    }

    /**
     * Deletes skeletons a crashed run left half-built (under their temporary names). Only at start-up, before any
     * start of this state directory's platform can be building one.
     */
    void removeUnfinished() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var entries = Files.newDirectoryStream(dir, BUILDING + "*")) {
            entries.forEach(FileTrees::deleteQuietly);
        } catch (IOException e) {
            // Harmless leftovers; the next start-up tries again.
        }
    }

    /** The skeleton with mount points for {@code hostFiles} (absolute paths, files or directories) besides the fixed ones. */
    Path ensure(List<Path> hostFiles) {
        TreeSet<String> files = new TreeSet<>();
        hostFiles.forEach(f -> files.add(f.toAbsolutePath().normalize().toString()));
        String key = key(files);
        Path cached = made.get(key);
        if (cached != null) {
            return cached;
        }
        Path skeleton = dir.resolve(key);
        try {
            if (!Files.isDirectory(skeleton)) {
                build(skeleton, files);
            }
            skeleton = skeleton.toRealPath(); // runc refuses a root reached through a symbolic link
        } catch (IOException e) {
            throw new SandboxException("Failed to make the container root skeleton " + skeleton + ": "
                    + e.getMessage(), e);
        }
        made.put(key, skeleton);
        return skeleton;
    }

    private void build(Path skeleton, TreeSet<String> files) throws IOException {
        Files.createDirectories(dir);
        Path temporary = Files.createTempDirectory(dir, BUILDING);
        try {
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String d : DIRECTORIES) {
                Files.createDirectory(temporary.resolve(d));
            }
            Files.setAttribute(Files.createDirectory(temporary.resolve("tmp")), "unix:mode", 01777);
            for (String file : files) {
                Path target = temporary.resolve(file.substring(1));
                if (Files.isDirectory(Path.of(file))) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.createFile(target);
                }
            }
            try {
                Files.move(temporary, skeleton, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                FileTrees.deleteQuietly(temporary); // another start made it first
            } catch (IOException e) {
                if (!Files.isDirectory(skeleton)) {
                    throw e;
                }
                FileTrees.deleteQuietly(temporary); // a non-empty directory of that name: another start made it first
            }
        } catch (IOException | RuntimeException e) {
            FileTrees.deleteQuietly(temporary);
            throw e;
        }
    }

    private static String key(TreeSet<String> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(String.join("\n", DIRECTORIES).getBytes(StandardCharsets.UTF_8));
            for (String f : files) {
                sha.update(("\n" + f).getBytes(StandardCharsets.UTF_8));
            }
            return "rootfs-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
