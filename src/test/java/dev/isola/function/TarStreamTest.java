package dev.isola.function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The tar reader on what real tars write and on what hostile archives claim: every record it would have to buffer
 * or interpret beyond what a function needs is refused before it costs memory.
 */
class TarStreamTest {
    @TempDir
    Path dir;

    @Test
    void gnuTarsOwnArchive_longNamesSymlinksAndDirectories_readAsWritten() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tar")) || Files.isExecutable(Path.of("/bin/tar")),
                "GNU tar is not installed");
        Path src = Files.createDirectories(dir.resolve("src/" + "d".repeat(120) + "/sub"));
        Files.writeString(src.resolve("f".repeat(130) + ".txt"), "long");
        Files.createSymbolicLink(src.resolve("link"), Path.of("../" + "t".repeat(110)));
        for (String format : List.of("gnu", "posix", "ustar")) {
            Path archive = dir.resolve(format + ".tar");
            Process tar = new ProcessBuilder("tar", "--format=" + format, "-cf", archive.toString(), "-C",
                    dir.resolve("src").toString(), ".").redirectErrorStream(true).start();
            String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(tar.waitFor(30, TimeUnit.SECONDS)).isTrue();
            if (format.equals("ustar")) {
                continue; // ustar cannot hold a 130-byte file name: tar says so and skips it
            }
            assertThat(tar.exitValue()).as(output).isZero();

            List<String> seen = read(Files.readAllBytes(archive));

            String deep = "./" + "d".repeat(120) + "/sub/";
            assertThat(seen).as(format).contains("5 " + deep, "0 " + deep + "f".repeat(130) + ".txt = long",
                    "2 " + deep + "link -> ../" + "t".repeat(110));
        }
    }

    @Test
    void directoryCarryingData_isRefused_soNoHeaderCanHideInIt() {
        // A directory "with" 512 bytes of data whose block is a long-name record claiming 8 GiB: a reader that
        // does not skip a directory's data parses that record as the next header, one that does skips it.
        byte[] hidden = header("././@LongLink", 'L', 8L << 30);
        byte[] tar = concat(header("d/", '5', 512), hidden, new byte[1024]);

        assertThatThrownBy(() -> read(tar)).isInstanceOf(InvalidFunctionException.class)
                .hasMessageContaining("'d/' (a directory) carries 512 bytes");
    }

    @Test
    void symlinkCarryingData_isRefused_beforeItsClaimedDataIsInflated() {
        byte[] tar = concat(header("l", '2', 1L << 32), new byte[1024]);

        assertThatThrownBy(() -> read(tar)).isInstanceOf(InvalidFunctionException.class)
                .hasMessageContaining("(a symlink) carries 4294967296 bytes");
    }

    @Test
    void sparseEntries_areRefused_oldGnuAndPax() {
        assertThatThrownBy(() -> read(concat(header("s", 'S', 0), new byte[1024])))
                .isInstanceOf(InvalidFunctionException.class).hasMessageContaining("sparse files are not supported");
        byte[] pax = paxRecords("GNU.sparse.major=1", "GNU.sparse.minor=0");
        assertThatThrownBy(() -> read(concat(header("h", 'x', pax.length), padded(pax), header("s", '0', 0),
                new byte[1024]))).isInstanceOf(InvalidFunctionException.class).hasMessageContaining("sparse");
    }

    @Test
    void metadataRecordsWithoutEnd_areRefused_afterFourInARow() {
        byte[] pax = paxRecords("comment=x");
        List<byte[]> blocks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            blocks.add(header("g", 'g', pax.length));
            blocks.add(padded(pax));
        }
        blocks.add(new byte[1024]);

        assertThatThrownBy(() -> read(concat(blocks.toArray(byte[][]::new))))
                .isInstanceOf(InvalidFunctionException.class).hasMessageContaining("more than 4 metadata records");
    }

    @Test
    void paxSizeAndPath_overrideTheHeaders() {
        byte[] pax = paxRecords("path=" + "p".repeat(200), "size=3");
        byte[] tar = concat(header("h", 'x', pax.length), padded(pax), header("short", '0', 0),
                padded("abc".getBytes(StandardCharsets.US_ASCII)), new byte[1024]);

        assertThat(read(tar)).containsExactly("0 " + "p".repeat(200) + " = abc");
    }

    @Test
    void unknownEntryTypes_andBadChecksums_areRefused() {
        assertThatThrownBy(() -> read(concat(header("v", 'V', 0), new byte[1024])))
                .isInstanceOf(InvalidFunctionException.class).hasMessageContaining("unsupported tar entry type 'V'");
        byte[] damaged = header("f", '0', 0);
        damaged[0] = 'g';
        assertThatThrownBy(() -> read(concat(damaged, new byte[1024])))
                .isInstanceOf(InvalidFunctionException.class).hasMessageContaining("checksum");
    }

    @Test
    void anEntrysUnreadData_isSkipped_andTheArchiveEndsAtItsMarker() {
        byte[] tar = concat(header("a", '0', 700), padded(new byte[700]), header("b", '0', 0), new byte[512],
                "trailing bytes after the end".getBytes(StandardCharsets.US_ASCII));
        List<String> names = new ArrayList<>();
        TarStream stream = new TarStream(new ByteArrayInputStream(tar));
        try {
            for (Optional<TarStream.Entry> e; (e = stream.next()).isPresent(); ) {
                names.add(e.get().name()); // data left unread
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(names).containsExactly("a", "b");
    }

    @Test
    void anArchiveWithoutItsEndMarker_endsAtAnEntrysEnd_butNotInsideAHeader() {
        byte[] entry = concat(header("a", '0', 1), padded(new byte[] {'x'}));
        assertThat(read(entry)).containsExactly("0 a = x");
        assertThatThrownBy(() -> read(concat(entry, new byte[100]))).hasRootCauseInstanceOf(java.io.EOFException.class);
    }

    /** Each entry as "type name", with " = content" for files and " -> target" for symlinks. */
    private static List<String> read(byte[] tar) {
        List<String> seen = new ArrayList<>();
        TarStream stream = new TarStream(new ByteArrayInputStream(tar));
        try {
            for (Optional<TarStream.Entry> e; (e = stream.next()).isPresent(); ) {
                TarStream.Entry entry = e.get();
                String line = entry.type() + " " + entry.name();
                if (entry.type() == '0') {
                    line += " = " + new String(stream.content().readAllBytes(), StandardCharsets.UTF_8);
                } else if (entry.type() == '2') {
                    line += " -> " + entry.linkName();
                }
                seen.add(line);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return seen;
    }

    /** A ustar header with its checksum. */
    private static byte[] header(String name, char type, long size) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, h, 0, n.length);
        put(h, 100, String.format("%07o\0", 0644));
        put(h, 124, String.format("%011o\0", size));
        h[156] = (byte) type;
        put(h, 257, "ustar\0" + "00");
        Arrays.fill(h, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o\0 ", sum));
        return h;
    }

    private static byte[] paxRecords(String... records) {
        StringBuilder out = new StringBuilder();
        for (String r : records) {
            int length = r.length() + 3; // " ", "\n" and at least one digit
            while (Integer.toString(length).length() + r.length() + 2 != length) {
                length++;
            }
            out.append(length).append(' ').append(r).append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] padded(byte[] data) {
        return Arrays.copyOf(data, (data.length + 511) / 512 * 512);
    }

    private static void put(byte[] h, int at, String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
