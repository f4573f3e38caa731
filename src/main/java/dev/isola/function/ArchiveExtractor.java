package dev.isola.function;

import dev.isola.IsolaException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Unpacks an uploaded zip, tar or tar.gz into a directory, refusing anything that could write outside it.
 *
 * <p>Algorithm: the upload is spooled to a file next to {@code targetDir} (zip needs random access for its central
 * directory; the spool is bounded), then read twice. The scan pass counts entries, checks names and member types and
 * decides whether to strip a single top-level directory; the write pass creates files under the final (stripped)
 * names. Validating after stripping matters: a symlink's {@code ..} is judged against where it will really live.
 *
 * <p>Invariants that keep every write inside {@code targetDir}:
 * <ul>
 *   <li>names are relative, without {@code ..}, backslash or NUL;</li>
 *   <li>no member is written through an existing symlink or file: each parent is checked to be a real directory
 *       (no-follow) and files are created with {@code CREATE_NEW}, which never follows a link;</li>
 *   <li>a symlink target is relative, climbs ({@code ../}) only at its start and never above the root. Since links
 *       live in real directories and every link obeys this, resolving any chain of them stays inside the root;</li>
 *   <li>hard links and device/FIFO members are refused; sizes are counted as bytes are written, not as declared.</li>
 * </ul>
 * On failure {@code targetDir} may hold a partial tree; the caller owns and deletes it.
 */
public final class ArchiveExtractor {
    /** Generous per-member framing allowance (tar header, padding, long-name records) when bounding the spool. */
    private static final long SPOOL_OVERHEAD_PER_ENTRY = 2048;
    private static final String MACOS_METADATA = "__MACOSX";
    /**
     * Version-control directories are dropped wherever they are: a build needs none of them, and a {@code .git/config}
     * is a list of commands git runs ({@code core.fsmonitor}) — for whatever tool of the build calls git.
     */
    private static final Set<String> VCS_DIRECTORIES = Set.of(".git", ".hg", ".svn", ".bzr");
    private static final int MAX_SEGMENT_BYTES = 255;
    /**
     * A member's whole name and depth. Without them an archive of a few thousand small entries with deep names makes
     * millions of parent directories (each name's missing parents are made, uncounted): inodes and disk out of all
     * proportion to its size. Real trees (node_modules, vendor/) stay far below both.
     */
    static final int MAX_NAME_BYTES = 1024;
    static final int MAX_DEPTH = 64;
    private static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> EXECUTABLE_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");

    private final Path root;
    private final ArchiveLimits limits;
    private long totalWritten;

    private ArchiveExtractor(Path root, ArchiveLimits limits) {
        this.root = root;
        this.limits = limits;
    }

    /**
     * Reads {@code in} to its end and unpacks it into {@code targetDir}, which is created if missing.
     *
     * @throws UncheckedIOException if reading {@code in} failed, with that failure as its cause
     */
    public static void extract(InputStream in, Path targetDir, ArchiveLimits limits) {
        Path root = targetDir.toAbsolutePath().normalize();
        Path spool;
        try {
            Files.createDirectories(root);
            spool = Files.createTempFile(root.getParent() == null ? root : root.getParent(), ".upload-", ".archive");
        } catch (IOException e) {
            throw new IsolaException("Failed to prepare extraction into " + root + ": " + e.getMessage(), e);
        }
        try {
            spool(in, spool, limits);
            ArchiveReader reader = ArchiveReader.detect(spool, limits);
            Optional<String> strip = scan(reader, limits);
            ArchiveExtractor extractor = new ArchiveExtractor(root, limits);
            reader.forEach((member, content) -> extractor.write(member, content, strip));
        } catch (IOException e) {
            throw invalid("archive is corrupt or truncated: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(spool);
            } catch (IOException e) {
                // Best effort: the spool sits in the caller's temporary area, which it removes as a whole.
            }
        }
    }

    private static void spool(InputStream in, Path spool, ArchiveLimits limits) {
        long max = saturatedAdd(limits.maxTotalBytes(), SPOOL_OVERHEAD_PER_ENTRY * limits.maxEntries());
        byte[] buffer = new byte[64 * 1024];
        long size = 0;
        try (OutputStream out = Files.newOutputStream(spool)) {
            for (int n; (n = read(in, buffer)) != -1; ) {
                size += n;
                if (size > max) {
                    throw tooLarge("archive is larger than " + max + " bytes");
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new IsolaException("Failed to receive archive: " + e.getMessage(), e);
        }
    }

    /**
     * A read of the upload. Its failure is the client's (gone, too slow, over the caller's own size limit), not the
     * host's: it leaves as an {@link UncheckedIOException} the caller answers as such, where a failed write of the
     * spool is the host's ({@link IsolaException}, a 500).
     */
    private static int read(InputStream in, byte[] buffer) {
        try {
            return in.read(buffer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** First pass: bounds, names and member types; returns the top-level directory to strip, if any. */
    private static Optional<String> scan(ArchiveReader reader, ArchiveLimits limits) throws IOException {
        var state = new Object() {
            int entries;
            long declaredTotal;
            final Set<String> topLevel = new HashSet<>();
            /** Every directory the archive makes, listed or implied by a member's name. */
            final Set<String> directories = new HashSet<>();
            boolean topLevelNonDirectory;
        };
        reader.forEach((member, content) -> {
            if (++state.entries > limits.maxEntries()) {
                throw tooLarge("archive has more than " + limits.maxEntries() + " entries");
            }
            List<String> segments = segments(member.name());
            if (dropped(segments)) {
                return;
            }
            switch (member.kind()) {
                case HARDLINK -> throw invalid("hard links are not supported: '" + member.name() + "'");
                case SPECIAL -> throw invalid("devices, FIFOs and other special files are not supported: '"
                        + member.name() + "'");
                case FILE -> {
                    // A declared size is only a hint for zip, but one past the bound fails either way.
                    long declared = Math.max(0, member.declaredSize());
                    state.declaredTotal = saturatedAdd(state.declaredTotal, declared);
                    if (declared > limits.maxEntryBytes()) {
                        throw tooLarge("entry '" + member.name() + "' is larger than " + limits.maxEntryBytes() + " bytes");
                    }
                    if (state.declaredTotal > limits.maxTotalBytes()) {
                        throw tooLarge("archive expands to more than " + limits.maxTotalBytes() + " bytes");
                    }
                }
                case DIRECTORY, SYMLINK -> {
                }
            }
            StringBuilder parent = new StringBuilder();
            int depth = member.kind() == ArchiveMember.Kind.DIRECTORY ? segments.size() : segments.size() - 1;
            for (int i = 0; i < depth; i++) {
                parent.append(segments.get(i)).append('/');
                state.directories.add(parent.toString());
            }
            if (state.directories.size() > limits.maxEntries()) {
                throw tooLarge("archive makes more than " + limits.maxEntries() + " directories");
            }
            state.topLevel.add(segments.getFirst());
            if (segments.size() == 1 && member.kind() != ArchiveMember.Kind.DIRECTORY) {
                state.topLevelNonDirectory = true;
            }
        });
        // One top-level directory (and hence no function.yaml beside it): the user zipped the folder itself.
        return state.topLevel.size() == 1 && !state.topLevelNonDirectory
                ? Optional.of(state.topLevel.iterator().next()) : Optional.empty();
    }

    /** Second pass, one member: validate the final location and create it. */
    private void write(ArchiveMember member, InputStream content, Optional<String> strip) {
        List<String> segments = segments(member.name());
        if (dropped(segments)) {
            return;
        }
        if (strip.isPresent()) {
            segments = segments.subList(1, segments.size());
            if (segments.isEmpty()) {
                return;
            }
        }
        String relative = String.join("/", segments);
        Path target = root.resolve(relative).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
            throw invalid("entry '" + member.name() + "' resolves outside the target directory");
        }
        try {
            createParents(segments, member.name());
            switch (member.kind()) {
                case DIRECTORY -> createDirectory(target, member.name());
                case FILE -> writeFile(target, content, member);
                case SYMLINK -> {
                    checkLinkTarget(segments, member);
                    Files.createSymbolicLink(target, Path.of(member.linkTarget()));
                }
                case HARDLINK, SPECIAL -> throw invalid("unsupported entry type: '" + member.name() + "'");
            }
        } catch (FileAlreadyExistsException e) {
            throw invalid("duplicate entry '" + member.name() + "'");
        } catch (IOException e) {
            throw new IsolaException("Failed to extract '" + relative + "' into " + root + ": " + e.getMessage(), e);
        }
    }

    private void createParents(List<String> segments, String name) throws IOException {
        Path dir = root;
        for (String segment : segments.subList(0, segments.size() - 1)) {
            dir = dir.resolve(segment);
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                    throw invalid("entry '" + name + "' would be written through '" + root.relativize(dir)
                            + "', which is a symlink or file");
                }
                Files.createDirectory(dir);
                Files.setPosixFilePermissions(dir, DIRECTORY_MODE);
            }
        }
    }

    private static void createDirectory(Path target, String name) throws IOException {
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            return; // listed after a member inside it already created it
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw invalid("directory entry '" + name + "' conflicts with an earlier entry");
        }
        Files.createDirectory(target);
        Files.setPosixFilePermissions(target, DIRECTORY_MODE);
    }

    /** Counts bytes as they arrive and stops before writing past a bound. */
    private void writeFile(Path target, InputStream content, ArchiveMember member) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long written = 0;
        // CREATE_NEW is O_EXCL: it fails on any existing name, a symlink included, so it never writes through one.
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int n; (n = read(content, buffer, member)) != -1; ) {
                written += n;
                totalWritten += n;
                if (written > limits.maxEntryBytes()) {
                    throw tooLarge("entry '" + member.name() + "' is larger than " + limits.maxEntryBytes() + " bytes");
                }
                if (totalWritten > limits.maxTotalBytes()) {
                    throw tooLarge("archive expands to more than " + limits.maxTotalBytes() + " bytes");
                }
                out.write(buffer, 0, n);
            }
        }
        Files.setPosixFilePermissions(target, (member.mode() & 0111) != 0 ? EXECUTABLE_MODE : FILE_MODE);
    }

    private static int read(InputStream content, byte[] buffer, ArchiveMember member) {
        try {
            return content.read(buffer);
        } catch (IOException e) {
            throw invalid("archive is corrupt or truncated at '" + member.name() + "': " + e.getMessage());
        }
    }

    private static void checkLinkTarget(List<String> linkSegments, ArchiveMember member) {
        String target = member.linkTarget();
        String link = "symlink '" + member.name() + "' -> '" + target + "'";
        if (target.isEmpty() || target.startsWith("/") || target.indexOf('\\') >= 0 || target.indexOf('\0') >= 0) {
            throw invalid(link + " must point to a relative path inside the archive");
        }
        int climbs = 0;
        boolean descended = false;
        for (String part : target.split("/")) {
            if (part.equals("..")) {
                if (descended) {
                    throw invalid(link + " may use '..' only at the start of its target");
                }
                climbs++;
            } else if (!part.isEmpty() && !part.equals(".")) {
                descended = true;
            }
        }
        if (climbs > linkSegments.size() - 1) {
            throw invalid(link + " points outside the archive");
        }
    }

    /** Splits a member name into path segments, rejecting anything that is not a plain relative path. */
    private static List<String> segments(String name) {
        if (name.isEmpty() || name.indexOf('\0') >= 0) {
            throw invalid("entry with an empty name or a NUL character");
        }
        if (name.startsWith("/")) {
            throw invalid("entry '" + name + "' has an absolute path");
        }
        if (name.indexOf('\\') >= 0) {
            throw invalid("entry '" + name + "' contains a backslash; archive paths use '/'");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw invalid("entry '" + name.substring(0, 64) + "...' has a name longer than " + MAX_NAME_BYTES
                    + " bytes");
        }
        List<String> segments = new ArrayList<>();
        for (String segment : name.split("/")) {
            if (segment.equals("..")) {
                throw invalid("entry '" + name + "' contains a '..' segment");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
                throw invalid("entry '" + name + "' has a name segment longer than " + MAX_SEGMENT_BYTES + " bytes");
            }
            if (!segment.isEmpty() && !segment.equals(".")) {
                segments.add(segment);
            }
        }
        if (segments.size() > MAX_DEPTH) {
            throw invalid("entry '" + name.substring(0, Math.min(name.length(), 64)) + "...' is nested more than "
                    + MAX_DEPTH + " directories deep");
        }
        return segments;
    }

    /** Members never extracted: macOS metadata and version-control directories. */
    private static boolean dropped(List<String> segments) {
        return segments.isEmpty() || segments.getFirst().equals(MACOS_METADATA)
                || segments.stream().anyMatch(VCS_DIRECTORIES::contains);
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    private static InvalidFunctionException invalid(String message) {
        return new InvalidFunctionException("invalid_archive", message);
    }

    private static InvalidFunctionException tooLarge(String message) {
        return new InvalidFunctionException("archive_too_large", message);
    }
}
