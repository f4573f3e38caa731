package dev.isola.function;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.Zip64Mode;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds real zip, tar and tar.gz archives in memory, including ones no honest tool would write. */
final class TestArchives {
    enum Format { ZIP, TAR, TAR_GZ }

    private enum Type { FILE, DIR, SYMLINK, HARDLINK, FIFO, CHAR_DEVICE }

    private record Member(String name, Type type, byte[] content, int mode, String target) {
    }

    private final Format format;
    private final List<Member> members = new ArrayList<>();
    private boolean zip64;

    private TestArchives(Format format) {
        this.format = format;
    }

    static TestArchives of(Format format) {
        return new TestArchives(format);
    }

    static TestArchives zip() {
        return of(Format.ZIP);
    }

    static TestArchives tarGz() {
        return of(Format.TAR_GZ);
    }

    /** Zip only: zip64 records for every entry and the end, as streaming zip writers make them. */
    TestArchives zip64() {
        zip64 = true;
        return this;
    }

    TestArchives file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    TestArchives file(String name, byte[] content, int mode) {
        members.add(new Member(name, Type.FILE, content, mode, ""));
        return this;
    }

    TestArchives dir(String name) {
        members.add(new Member(name.endsWith("/") ? name : name + "/", Type.DIR, new byte[0], 0755, ""));
        return this;
    }

    TestArchives symlink(String name, String target) {
        members.add(new Member(name, Type.SYMLINK, new byte[0], 0777, target));
        return this;
    }

    TestArchives hardlink(String name, String target) {
        members.add(new Member(name, Type.HARDLINK, new byte[0], 0644, target));
        return this;
    }

    TestArchives fifo(String name) {
        members.add(new Member(name, Type.FIFO, new byte[0], 0644, ""));
        return this;
    }

    TestArchives charDevice(String name) {
        members.add(new Member(name, Type.CHAR_DEVICE, new byte[0], 0644, ""));
        return this;
    }

    byte[] bytes() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            switch (format) {
                case ZIP -> writeZip(out);
                case TAR -> writeTar(out);
                case TAR_GZ -> {
                    try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(out)) {
                        writeTar(gz);
                    }
                }
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeZip(OutputStream out) throws IOException {
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(out)) {
            if (zip64) {
                zip.setUseZip64(Zip64Mode.Always);
            }
            for (Member m : members) {
                ZipArchiveEntry entry = new ZipArchiveEntry(m.name());
                byte[] content = m.content();
                switch (m.type()) {
                    case FILE -> entry.setUnixMode(0100000 | m.mode());
                    case DIR -> entry.setUnixMode(0040000 | m.mode());
                    case SYMLINK -> {
                        entry.setUnixMode(0120000 | m.mode());
                        content = m.target().getBytes(StandardCharsets.UTF_8);
                    }
                    case FIFO -> entry.setUnixMode(0010000 | m.mode());
                    case CHAR_DEVICE -> entry.setUnixMode(0020000 | m.mode());
                    case HARDLINK -> throw new IllegalArgumentException("zip has no hard links");
                }
                zip.putArchiveEntry(entry);
                zip.write(content);
                zip.closeArchiveEntry();
            }
        }
    }

    private void writeTar(OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        for (Member m : members) {
            TarArchiveEntry entry = switch (m.type()) {
                // preserveAbsolutePath: without it commons-compress would quietly repair hostile names.
                case FILE -> new TarArchiveEntry(m.name(), true);
                case DIR -> new TarArchiveEntry(m.name(), TarConstants.LF_DIR, true);
                case SYMLINK -> new TarArchiveEntry(m.name(), TarConstants.LF_SYMLINK, true);
                case HARDLINK -> new TarArchiveEntry(m.name(), TarConstants.LF_LINK, true);
                case FIFO -> new TarArchiveEntry(m.name(), TarConstants.LF_FIFO, true);
                case CHAR_DEVICE -> new TarArchiveEntry(m.name(), TarConstants.LF_CHR, true);
            };
            entry.setMode(m.mode());
            if (!m.target().isEmpty()) {
                entry.setLinkName(m.target());
            }
            if (m.type() == Type.FILE) {
                entry.setSize(m.content().length);
            }
            tar.putArchiveEntry(entry);
            tar.write(m.content());
            tar.closeArchiveEntry();
        }
        tar.finish();
        tar.flush();
    }
}
