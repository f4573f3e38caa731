package dev.isola.function;

import static dev.isola.function.TestArchives.Format.TAR;
import static dev.isola.function.TestArchives.Format.TAR_GZ;
import static dev.isola.function.TestArchives.Format.ZIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.function.TestArchives.Format;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ArchiveExtractorTest {
    private static final ArchiveLimits SMALL = new ArchiveLimits(1 << 20, 50, 512 << 10);

    @TempDir
    Path tmp;

    private Path target() {
        return tmp.resolve("out");
    }

    private void extract(byte[] archive, ArchiveLimits limits) {
        ArchiveExtractor.extract(new ByteArrayInputStream(archive), target(), limits);
    }

    private void extract(byte[] archive) {
        extract(archive, ArchiveLimits.DEFAULT);
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void extract_eachFormat_writesTree(Format format) throws IOException {
        extract(TestArchives.of(format)
                .file("function.yaml", "name: a\n")
                .dir("lib")
                .file("lib/util.js", "exports.x = 1;\n")
                .file("deep/nested/file.txt", "hi")
                .bytes());

        assertThat(target().resolve("function.yaml")).hasContent("name: a");
        assertThat(target().resolve("lib/util.js")).hasContent("exports.x = 1;");
        assertThat(target().resolve("deep/nested/file.txt")).hasContent("hi");
        assertThat(tmp).isDirectoryNotContaining(p -> !p.equals(target()));
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void extract_executableBit_isPreserved(Format format) throws IOException {
        extract(TestArchives.of(format)
                .file("bin/fn", new byte[] {1, 2, 3}, 0755)
                .file("data.txt", new byte[] {4}, 0644)
                .bytes());

        assertThat(Files.getPosixFilePermissions(target().resolve("bin/fn"))).contains(PosixFilePermission.OWNER_EXECUTE);
        assertThat(Files.getPosixFilePermissions(target().resolve("data.txt")))
                .doesNotContain(PosixFilePermission.OWNER_EXECUTE);
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void extract_singleTopLevelDirectory_isStripped(Format format) {
        extract(TestArchives.of(format)
                .dir("my-function")
                .file("my-function/function.yaml", "name: a\n")
                .file("my-function/src/main.go", "package main\n")
                .symlink("my-function/src/link.go", "main.go")
                .bytes());

        assertThat(target().resolve("function.yaml")).exists();
        assertThat(target().resolve("src/main.go")).exists();
        assertThat(target().resolve("src/link.go")).hasSameTextualContentAs(target().resolve("src/main.go"));
        assertThat(target().resolve("my-function")).doesNotExist();
    }

    @Test
    void extract_topLevelDirectoryBesideFile_isKept() {
        extract(TestArchives.zip().file("function.yaml", "x").file("src/main.go", "y").bytes());

        assertThat(target().resolve("src/main.go")).exists();
    }

    @Test
    void extract_dotSlashNamesAndMacMetadata_areHandled() {
        extract(TestArchives.tarGz()
                .dir("./")
                .file("./function.yaml", "x")
                .file("__MACOSX/._function.yaml", "junk")
                .bytes());

        assertThat(target().resolve("function.yaml")).exists();
        assertThat(target().resolve("__MACOSX")).doesNotExist();
    }

    @ParameterizedTest
    @EnumSource(value = Format.class, names = {"ZIP", "TAR_GZ"})
    void extract_versionControlDirectories_areDroppedAtAnyDepth(Format format) {
        extract(TestArchives.of(format)
                .file("function.yaml", "x")
                .file(".git/config", "[core]\n\tfsmonitor = touch /tmp/pwned\n")
                .file("vendor/lib/.hg/hgrc", "x")
                .file("sub/.svn/entries", "x")
                .file(".bzr/branch-format", "x")
                .file("sub/.git", "gitdir: /etc")
                .file("sub/main.go", "package sub")
                .bytes());

        assertThat(target().resolve("function.yaml")).exists();
        assertThat(target().resolve("sub/main.go")).exists();
        assertThat(target().resolve(".git")).doesNotExist();
        assertThat(target().resolve("vendor/lib/.hg")).doesNotExist();
        assertThat(target().resolve("sub/.svn")).doesNotExist();
        assertThat(target().resolve(".bzr")).doesNotExist();
        assertThat(target().resolve("sub/.git")).doesNotExist();
    }

    @ParameterizedTest
    @EnumSource(value = Format.class, names = {"ZIP", "TAR_GZ"})
    void extract_symlinkInsideRoot_isCreated(Format format) throws IOException {
        extract(TestArchives.of(format)
                .file("a/b/real.txt", "data")
                .symlink("a/b/same-dir", "real.txt")
                .symlink("a/up", "../top.txt")
                .symlink("a/b/down", "../../a/b/real.txt")
                .file("top.txt", "top")
                .bytes());

        assertThat(Files.readSymbolicLink(target().resolve("a/b/same-dir"))).isEqualTo(Path.of("real.txt"));
        assertThat(target().resolve("a/up")).hasContent("top");
        assertThat(target().resolve("a/b/down")).hasContent("data");
    }

    static Stream<Arguments> maliciousArchives() {
        return Stream.of(
                bad("zip slip", ZIP, a -> a.file("../evil.txt", "x"), "'..' segment"),
                bad("tar slip", TAR_GZ, a -> a.file("ok/../../evil.txt", "x"), "'..' segment"),
                bad("absolute zip path", ZIP, a -> a.file("/tmp/evil.txt", "x"), "absolute path"),
                bad("absolute tar path", TAR, a -> a.file("/tmp/evil.txt", "x"), "absolute path"),
                bad("backslash name", ZIP, a -> a.file("..\\evil.txt", "x"), "evil.txt"),
                bad("absolute symlink", TAR_GZ, a -> a.symlink("etc", "/etc"), "relative path inside the archive"),
                bad("escaping symlink", ZIP, a -> a.symlink("a/out", "../../x"), "points outside the archive"),
                bad("escaping symlink at root", TAR_GZ, a -> a.symlink("out", "../x"), "points outside the archive"),
                bad("dot-dot after a name", TAR_GZ, a -> a.symlink("self", ".").symlink("up", "self/.."),
                        "may use '..' only at the start"),
                bad("write through symlink", TAR_GZ, a -> a.dir("d").symlink("link", "d").file("link/x", "y"),
                        "would be written through 'link'"),
                bad("overwrite symlink", ZIP, a -> a.file("real", "1").symlink("link", "real").file("link", "2"),
                        "duplicate entry 'link'"),
                bad("duplicate file", TAR, a -> a.file("x", "1").file("x", "2"), "duplicate entry 'x'"),
                bad("file then directory", TAR, a -> a.file("x", "1").file("x/y", "2"), "would be written through 'x'"),
                bad("hard link", TAR_GZ, a -> a.file("x", "1").hardlink("y", "x"), "hard links are not supported"),
                bad("fifo in tar", TAR, a -> a.fifo("pipe"), "special files"),
                bad("fifo in zip", ZIP, a -> a.fifo("pipe"), "special files"),
                bad("backslash in tar", TAR, a -> a.file("a\\b.txt", "x"), "backslash"),
                bad("char device", TAR_GZ, a -> a.charDevice("null"), "special files"));
    }

    private static Arguments bad(String label, Format format, UnaryOperator<TestArchives> build, String message) {
        return Arguments.of(label, build.apply(TestArchives.of(format)).bytes(), message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("maliciousArchives")
    void extract_maliciousArchive_isRejectedWithoutWritingOutside(String label, byte[] archive, String message)
            throws IOException {
        assertThatThrownBy(() -> extract(archive))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_archive"))
                .hasMessageContaining(message);

        assertThat(tmp).isDirectoryNotContaining(p -> !p.equals(target()));
        try (Stream<Path> written = Files.walk(target())) {
            assertThat(written).allSatisfy(p -> assertThat(p.toAbsolutePath().normalize()).startsWith(target()));
        }
    }

    @Test
    void extract_namesThatMakeMoreDirectoriesThanEntries_areRefusedBeforeAnyIsMade() {
        TestArchives deep = TestArchives.tarGz();
        for (int i = 0; i < 10; i++) { // 10 entries, 10 x 30 directories implied by their names
            deep.file("d" + i + "/" + "a/".repeat(29) + "f", "x");
        }
        assertThatThrownBy(() -> extract(deep.bytes(), SMALL))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("archive_too_large"))
                .hasMessageContaining("more than 50 directories");
        assertThat(target()).as("nothing extracted").satisfiesAnyOf(p -> assertThat(p).doesNotExist(),
                p -> assertThat(p).isEmptyDirectory());

        assertThatThrownBy(() -> extract(TestArchives.tarGz().file("a/".repeat(ArchiveExtractor.MAX_DEPTH) + "f",
                "x").bytes())).isInstanceOf(InvalidFunctionException.class).hasMessageContaining("nested more than 64");
        assertThatThrownBy(() -> extract(TestArchives.tarGz().file("abcdefgh/".repeat(120) + "f", "x").bytes()))
                .isInstanceOf(InvalidFunctionException.class).hasMessageContaining("longer than 1024 bytes");
    }

    @Test
    void extract_zipBombWithLyingSizes_stopsAtBytesWritten() {
        byte[] zeros = new byte[8 << 20];
        byte[] bomb = TestArchives.zip().file("bomb.bin", zeros, 0644).bytes();
        int patched = ZipPatcher.declareUncompressedSize(bomb, 100);

        assertThat(bomb.length).isLessThan(64 << 10);
        assertThat(patched).isPositive();
        assertThatThrownBy(() -> extract(bomb, SMALL))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("archive_too_large"))
                .hasMessageContaining("bomb.bin");
        assertThat(target().resolve("bomb.bin")).satisfiesAnyOf(
                p -> assertThat(p).doesNotExist(),
                p -> assertThat(Files.size(p)).isLessThanOrEqualTo(SMALL.maxEntryBytes()));
    }

    @ParameterizedTest
    @EnumSource(value = Format.class, names = {"ZIP", "TAR_GZ"})
    void extract_repetitiveBytesPastTotal_isTooLarge(Format format) {
        TestArchives archive = TestArchives.of(format);
        for (int i = 0; i < 4; i++) {
            archive.file("part" + i, new byte[400 << 10], 0644);
        }

        assertThatThrownBy(() -> extract(archive.bytes(), SMALL))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("archive_too_large"))
                .hasMessageContaining("expands to more than");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void extract_tooManyEntries_isTooLarge(Format format) {
        TestArchives archive = TestArchives.of(format);
        for (int i = 0; i <= SMALL.maxEntries(); i++) {
            archive.file("f" + i, "x");
        }

        assertThatThrownBy(() -> extract(archive.bytes(), SMALL))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("archive_too_large"))
                .hasMessageContaining("more than 50 entries");
        assertThat(target()).isEmptyDirectory();
    }

    @Test
    void extract_tarMetadataRecordsPastTheBound_areRefusedBeforeTheParserBuffersThem() throws IOException {
        byte[] header = new byte[512];
        byte[] name = "././@LongLink".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, header, 0, name.length);
        byte[] size = "10000000000\0".getBytes(StandardCharsets.US_ASCII); // 1 GiB, octal: a claim, no data follows
        System.arraycopy(size, 0, header, 124, size.length);
        header[156] = 'L';
        System.arraycopy(new byte[] {'u', 's', 't', 'a', 'r', 0, '0', '0'}, 0, header, 257, 8);
        java.util.Arrays.fill(header, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        byte[] checksum = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(checksum, 0, header, 148, checksum.length);
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(header);
        }

        assertThatThrownBy(() -> extract(gz.toByteArray(), SMALL))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_archive"))
                .hasMessageContaining("long-name record of 1073741824 bytes");
        assertThatThrownBy(() -> extract(TestArchives.tarGz().file("a".repeat(100_000), "x").bytes(), SMALL))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_archive"))
                .hasMessageContaining("pax header");
    }

    @Test
    void extract_zipWhoseDirectoryListsTooManyEntries_isRefusedBeforeItIsRead() {
        byte[] zip = TestArchives.zip().file("function.yaml", "x").bytes();
        int eocd = zip.length - 22; // no comment: the record is the last 22 bytes
        assertThat(zip[eocd]).isEqualTo((byte) 0x50);
        zip[eocd + 10] = (byte) 0xff;
        zip[eocd + 11] = (byte) 0xff;

        assertThatThrownBy(() -> extract(zip, SMALL))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("archive_too_large"))
                .hasMessageContaining("more than 50 entries");
    }

    @Test
    void extract_zipWhoseDirectoryHoldsMoreRecordsThanItsCountSays_isRefusedBeforeItIsRead() {
        byte[] zip = manyEntries(TestArchives.zip()); // about 51 KB of central directory, past 50 entries x 512 bytes
        endRecordCountsOne(zip);

        assertThatThrownBy(() -> extract(zip, SMALL))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("archive_too_large"))
                .hasMessageContaining("central directory");
    }

    @Test
    void extract_zip64Archive_isExtracted() throws IOException {
        extract(TestArchives.zip().zip64().file("function.yaml", "name: f\n").file("a/b.txt", "b").bytes(), SMALL);

        assertThat(target().resolve("a/b.txt")).hasContent("b");
    }

    @Test
    void extract_zip64WhoseRecordUndercountsItsDirectory_isRefusedBeforeItIsRead() {
        byte[] zip = manyEntries(TestArchives.zip().zip64());
        int locator = zip.length - 22 - 20;
        assertThat(le32(zip, locator)).as("zip64 locator").isEqualTo(0x07064b50);
        int record = le32(zip, locator + 8);
        assertThat(le32(zip, record)).as("zip64 end record").isEqualTo(0x06064b50);
        for (int field : new int[] {record + 24, record + 32}) { // entries on this disk, and in all: 1
            zip[field] = 1;
            java.util.Arrays.fill(zip, field + 1, field + 8, (byte) 0);
        }
        endRecordCountsOne(zip); // which the parser ignores once it finds the locator

        assertThatThrownBy(() -> extract(zip, SMALL))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("archive_too_large"))
                .hasMessageContaining("central directory");
    }

    private static byte[] manyEntries(TestArchives zip) {
        for (int i = 0; i < 600; i++) {
            zip.file("file-with-a-name-of-some-length-" + i, "x");
        }
        return zip.bytes();
    }

    /** Entries on this disk, and in all, in the end record (the last 22 bytes: no comment): 1. */
    private static void endRecordCountsOne(byte[] zip) {
        int eocd = zip.length - 22;
        zip[eocd + 8] = 1;
        zip[eocd + 9] = 0;
        zip[eocd + 10] = 1;
        zip[eocd + 11] = 0;
    }

    private static int le32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    @Test
    void extract_uploadLargerThanSpoolBound_isTooLarge() {
        byte[] big = new byte[(int) (SMALL.maxTotalBytes() + 2048L * SMALL.maxEntries() + 1)];

        assertThatThrownBy(() -> extract(big, SMALL))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("archive_too_large"));
        assertThat(tmp).isDirectoryNotContaining(p -> !p.equals(target()));
    }

    static List<Arguments> unknownFormats() {
        return List.of(
                Arguments.of("empty", new byte[0], "unknown archive format"),
                Arguments.of("text", "hello world, not an archive".getBytes(), "unknown archive format"),
                Arguments.of("bzip2", new byte[] {'B', 'Z', 'h', '9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59},
                        "unsupported compression 'bzip2'"),
                Arguments.of("ar archive", "!<arch>\nfoo.txt/        0           0     0     644     3         `\nabc\n".getBytes(),
                        "unsupported archive format 'ar'"),
                Arguments.of("gzip of text", gzip("just text".getBytes()), "gzip data that is not a tar archive"),
                Arguments.of("truncated tar.gz", truncate(TestArchives.tarGz().file("a", noise(200_000), 0644).bytes()),
                        "corrupt or truncated"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unknownFormats")
    void extract_unsupportedInput_isInvalidArchive(String label, byte[] input, String message) {
        assertThatThrownBy(() -> extract(input))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_archive"))
                .hasMessageContaining(message);
        assertThat(tmp).isDirectoryNotContaining(p -> !p.equals(target()));
    }

    @Test
    void extract_directoryPermissions_areUsable() throws IOException {
        extract(TestArchives.tarGz().file("a/b/c.txt", "x").file("function.yaml", "y").bytes());

        assertThat(Files.isDirectory(target().resolve("a/b"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.getPosixFilePermissions(target().resolve("a"))).contains(PosixFilePermission.OWNER_EXECUTE,
                PosixFilePermission.OTHERS_READ);
    }

    private static byte[] gzip(byte[] data) {
        try {
            var out = new java.io.ByteArrayOutputStream();
            try (var gz = new java.util.zip.GZIPOutputStream(out)) {
                gz.write(data);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] noise(int size) {
        byte[] data = new byte[size];
        new java.util.Random(42).nextBytes(data);
        return data;
    }

    private static byte[] truncate(byte[] data) {
        return java.util.Arrays.copyOf(data, data.length / 2);
    }
}
