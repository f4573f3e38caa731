package dev.isola.function;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Optional;
import org.apache.commons.compress.archivers.ArchiveException;
import org.apache.commons.compress.archivers.ArchiveStreamFactory;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Walks the members of a spooled archive in file order. Zip goes through the central directory ({@link ZipFile}),
 * because only there are Unix modes, and so the executable bit and symlinks, recorded; tar (optionally gzipped) is
 * streamed. Any {@link IOException} thrown out of {@link #forEach} means the archive itself is unreadable.
 */
sealed interface ArchiveReader {
    /** Symlink targets are paths; anything longer than PATH_MAX is not one. */
    int MAX_LINK_TARGET = 4096;

    @FunctionalInterface
    interface Visitor {
        /** {@code content} is the member's data, valid only during the call. */
        void visit(ArchiveMember member, InputStream content);
    }

    void forEach(Visitor visitor) throws IOException;

    /**
     * Picks the format from magic bytes; only zip, tar and tar.gz are accepted. Checks first what the zip parser
     * would buffer ({@link ArchiveHeaders}).
     */
    static ArchiveReader detect(Path spool, ArchiveLimits limits) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(spool))) {
            String compression = compression(in);
            if (compression.equals(CompressorStreamFactory.GZIP)) {
                try (InputStream tar = new BufferedInputStream(new GzipCompressorInputStream(in))) {
                    if (!archiveFormat(tar).equals(ArchiveStreamFactory.TAR)) {
                        throw unsupported("gzip data that is not a tar archive");
                    }
                }
                return new Tar(spool, true);
            }
            if (!compression.isEmpty()) {
                throw unsupported("compression '" + compression + "'");
            }
            String format = archiveFormat(in);
            if (format.equals(ArchiveStreamFactory.ZIP)) {
                ArchiveHeaders.checkZip(spool, limits.maxEntries());
            }
            return switch (format) {
                case ArchiveStreamFactory.ZIP -> new Zip(spool);
                case ArchiveStreamFactory.TAR -> new Tar(spool, false);
                case "" -> throw invalid("unknown archive format; upload a zip, tar or tar.gz file");
                default -> throw unsupported("archive format '" + format + "'");
            };
        }
    }

    private static String compression(InputStream in) {
        try {
            return CompressorStreamFactory.detect(in);
        } catch (CompressorException e) {
            return "";
        }
    }

    private static String archiveFormat(InputStream in) {
        try {
            return ArchiveStreamFactory.detect(in);
        } catch (ArchiveException e) {
            return "";
        }
    }

    private static InvalidFunctionException unsupported(String what) {
        return invalid("unsupported " + what + "; upload a zip, tar or tar.gz file");
    }

    private static InvalidFunctionException invalid(String message) {
        return new InvalidFunctionException("invalid_archive", message);
    }

    record Zip(Path spool) implements ArchiveReader {
        private static final int S_IFMT = 0170000;
        private static final int S_IFREG = 0100000;
        private static final int S_IFDIR = 0040000;

        @Override
        public void forEach(Visitor visitor) throws IOException {
            try (ZipFile zip = ZipFile.builder().setPath(spool).get()) {
                Enumeration<ZipArchiveEntry> entries = zip.getEntriesInPhysicalOrder();
                while (entries.hasMoreElements()) {
                    ZipArchiveEntry entry = entries.nextElement();
                    if (!zip.canReadEntryData(entry)) {
                        throw invalid("entry '" + entry.getName() + "' uses encryption or an unsupported compression method");
                    }
                    try (InputStream content = zip.getInputStream(entry)) {
                        visit(entry, content, visitor);
                    }
                }
            }
        }

        private static void visit(ZipArchiveEntry entry, InputStream content, Visitor visitor) throws IOException {
            int mode = entry.getUnixMode();
            int type = mode & S_IFMT;
            if (entry.isUnixSymlink()) {
                String target = readLinkTarget(content, entry.getName());
                visitor.visit(new ArchiveMember(entry.getName(), ArchiveMember.Kind.SYMLINK, mode, target, 0),
                        InputStream.nullInputStream());
            } else if (entry.isDirectory() || type == S_IFDIR) {
                visitor.visit(new ArchiveMember(entry.getName(), ArchiveMember.Kind.DIRECTORY, mode, "", 0), content);
            } else if (type == 0 || type == S_IFREG) {
                visitor.visit(new ArchiveMember(entry.getName(), ArchiveMember.Kind.FILE, mode, "", entry.getSize()),
                        content);
            } else {
                visitor.visit(new ArchiveMember(entry.getName(), ArchiveMember.Kind.SPECIAL, mode, "", 0), content);
            }
        }

        private static String readLinkTarget(InputStream content, String name) throws IOException {
            ByteArrayOutputStream target = new ByteArrayOutputStream();
            byte[] buffer = new byte[512];
            for (int n; (n = content.read(buffer)) != -1; ) {
                target.write(buffer, 0, n);
                if (target.size() > MAX_LINK_TARGET) {
                    throw invalid("symlink '" + name + "' has a target longer than " + MAX_LINK_TARGET + " bytes");
                }
            }
            return target.toString(StandardCharsets.UTF_8);
        }
    }

    record Tar(Path spool, boolean gzipped) implements ArchiveReader {
        @Override
        public void forEach(Visitor visitor) throws IOException {
            try (InputStream file = new BufferedInputStream(Files.newInputStream(spool));
                 InputStream raw = gzipped ? new BufferedInputStream(new GzipCompressorInputStream(file)) : file) {
                TarStream tar = new TarStream(raw);
                for (Optional<TarStream.Entry> entry; (entry = tar.next()).isPresent(); ) {
                    visitor.visit(member(entry.get()), tar.content());
                }
            }
        }

        private static ArchiveMember member(TarStream.Entry e) {
            ArchiveMember.Kind kind = switch (e.type()) {
                case '5' -> ArchiveMember.Kind.DIRECTORY;
                case '2' -> ArchiveMember.Kind.SYMLINK;
                case '1' -> ArchiveMember.Kind.HARDLINK;
                case '0', '7' -> ArchiveMember.Kind.FILE;
                default -> ArchiveMember.Kind.SPECIAL;
            };
            String target = kind == ArchiveMember.Kind.SYMLINK || kind == ArchiveMember.Kind.HARDLINK ? e.linkName() : "";
            return new ArchiveMember(e.name(), kind, e.mode(), target, e.size());
        }
    }
}
