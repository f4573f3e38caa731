package dev.isola.host;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** Copying, deleting and handing over directory trees without ever following a symlink out of them. */
public final class FileTrees {
    private FileTrees() {
    }

    /**
     * Gives every entry of {@code root} (itself too) to numeric user and group {@code id}, links themselves rather
     * than what they point to; {@code directoriesOnly} leaves files as they are.
     */
    public static void chown(Path root, int id, boolean directoriesOnly) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (!directoriesOnly || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setAttribute(p, "unix:uid", id, LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", id, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }

    /**
     * Writes every file and directory of {@code root} (itself too) and its parent directory through to the disk, so
     * that what a database row is about to point at survives a power loss. Links are not followed.
     */
    public static void sync(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (!Files.isSymbolicLink(p)) {
                    force(p);
                }
            }
        }
        force(root.toAbsolutePath().getParent());
    }

    private static void force(Path p) throws IOException {
        try (FileChannel channel = FileChannel.open(p, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /**
     * Copies {@code from} into {@code to} (created if missing). Symlinks are copied as links, not followed, so a
     * link can never pull a file from outside the source into the artefact.
     */
    public static void copy(Path from, Path to, Predicate<Path> skipRelative) throws IOException {
        Files.createDirectories(to);
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path relative = from.relativize(dir);
                if (!relative.toString().isEmpty() && skipRelative.test(relative)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Path target = to.resolve(relative.toString());
                if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.copy(dir, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path relative = from.relativize(file);
                if (!skipRelative.test(relative)) {
                    Files.copy(file, to.resolve(relative.toString()), LinkOption.NOFOLLOW_LINKS,
                            StandardCopyOption.COPY_ATTRIBUTES);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Deletes {@code root} and everything below it; symlinks are removed, never followed. Absent is fine. */
    public static void deleteRecursively(Path root) {
        try {
            if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null && !(e instanceof NoSuchFileException)) {
                        throw e;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new HostException("Failed to delete " + root + ": " + e.getMessage(), e);
        }
    }

    /** Deletes what {@code dir} holds (symlinks removed, never followed) and keeps {@code dir}. Absent is fine. */
    public static void deleteChildren(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var children = Files.list(dir)) {
            children.forEach(FileTrees::deleteRecursively);
        } catch (IOException e) {
            throw new HostException("Failed to empty " + dir + ": " + e.getMessage(), e);
        }
    }

    /** {@link #deleteRecursively} for clean-up paths: a leftover is reaped later, and must not mask the failure. */
    public static boolean deleteQuietly(Path root) {
        try {
            deleteRecursively(root);
            return true;
        } catch (HostException e) {
            return false;
        }
    }
}
