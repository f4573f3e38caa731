package dev.isola.function;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/**
 * Bounds that must hold before an archive library parses anything, because the parsers buffer what the archive
 * declares: a tar's GNU long-name or long-link record ({@code L}, {@code K}) and pax header ({@code x}, {@code g})
 * are read whole into memory whatever size their header claims (a small gzip can claim gigabytes), and a zip's
 * central directory becomes one object per entry it lists. Read here from the raw headers, in constant memory.
 */
final class ArchiveHeaders {
    /** A path is at most 4 KiB; a pax header holds a few of them and some attributes. */
    static final int MAX_METADATA_BYTES = 64 * 1024;
    private static final int BLOCK = 512;
    private static final int EOCD_SIGNATURE = 0x06054b50;
    private static final int EOCD_LENGTH = 22;
    private static final int MAX_COMMENT = 65_535;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_LOCATOR_LENGTH = 20;
    private static final int ZIP64_RECORD = 0x06064b50;
    private static final int ZIP64_RECORD_LENGTH = 56;

    private ArchiveHeaders() {
    }

    /**
     * Walks the tar headers of {@code tar}: fails on an oversized metadata record; stops at the end, or once the
     * declared sizes pass {@code maxTotalBytes} (the extractor refuses such an archive itself), so this reads no
     * more than extraction would.
     */
    static void checkTar(InputStream tar, long maxTotalBytes) throws IOException {
        byte[] header = new byte[BLOCK];
        long declared = 0;
        try {
            while (tar.readNBytes(header, 0, BLOCK) == BLOCK && !zero(header)) {
                long size = size(header);
                char type = (char) header[156];
                if ((type == 'L' || type == 'K' || type == 'x' || type == 'g') && size > MAX_METADATA_BYTES) {
                    throw invalid("a tar " + (type == 'x' || type == 'g' ? "pax header" : "long-name record")
                            + " of " + size + " bytes (at most " + MAX_METADATA_BYTES + ")");
                }
                declared += Math.max(size, 0);
                if (size < 0 || declared > maxTotalBytes) {
                    return;
                }
                tar.skipNBytes((size + BLOCK - 1) / BLOCK * BLOCK);
            }
        } catch (EOFException e) {
            // A truncated archive: the parser says so in its own words.
        }
    }

    /**
     * Bytes of central directory an entry may take on average (a record is 46 bytes and its name, extra field and
     * comment; real ones take about a hundred): the bound on the directory as it lies in the file, which the parser
     * reads record by record whatever the end record says it holds.
     */
    static final int MAX_DIRECTORY_BYTES_PER_ENTRY = 512;

    /**
     * Fails if the zip's end-of-central-directory record lists more than {@code maxEntries} entries, or if its
     * central directory, as it lies in the file (from where the end record says it starts to the end record), is
     * larger than that many entries need: the parser makes an object of every record there before any count
     * applies, and a lying count of 1 in front of millions of records would fill the heap.
     */
    static void checkZip(Path spool, int maxEntries) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(spool.toFile(), "r")) {
            long length = file.length();
            int window = (int) Math.min(length, EOCD_LENGTH + MAX_COMMENT);
            byte[] tail = new byte[window];
            file.seek(length - window);
            file.readFully(tail);
            for (int at = window - EOCD_LENGTH; at >= 0; at--) {
                if (le32(tail, at) == EOCD_SIGNATURE) {
                    long end = length - window + at;
                    if (end >= ZIP64_LOCATOR_LENGTH && readLe32(file, end - ZIP64_LOCATOR_LENGTH) == ZIP64_LOCATOR) {
                        checkZip64(file, end - ZIP64_LOCATOR_LENGTH, maxEntries);
                        return;
                    }
                    checkDirectory(le16(tail, at + 10), end - (le32(tail, at + 16) & 0xFFFFFFFFL), maxEntries);
                    return;
                }
            }
        }
    }

    /**
     * A zip64 archive: the parser takes the count and the directory's start from the zip64 record the locator (just
     * before the end record) points at, whatever the end record says, so the same bounds apply there. The directory
     * runs from its start as far as records follow one another, so it is bounded by the end of the file.
     */
    private static void checkZip64(RandomAccessFile file, long locator, int maxEntries) throws IOException {
        long record = readLe64(file, locator + 8);
        if (record < 0 || record > locator - ZIP64_RECORD_LENGTH || readLe32(file, record) != ZIP64_RECORD) {
            throw invalid("a zip64 end record that is not where its locator says");
        }
        long entries = readLe64(file, record + 32);
        long start = readLe64(file, record + 48);
        if (start < 0 || start > record) {
            throw invalid("a zip64 central directory that starts outside the archive");
        }
        checkDirectory(entries < 0 ? Long.MAX_VALUE : entries, file.length() - start, maxEntries);
    }

    private static void checkDirectory(long entries, long directoryBytes, int maxEntries) {
        // 0xFFFF in the end record means "see the zip64 record": at least that many entries either way.
        if (entries > maxEntries) {
            throw new InvalidFunctionException("archive_too_large", "archive has more than " + maxEntries
                    + " entries");
        }
        if (directoryBytes > (long) maxEntries * MAX_DIRECTORY_BYTES_PER_ENTRY) {
            throw new InvalidFunctionException("archive_too_large", "archive's central directory of "
                    + directoryBytes + " bytes is larger than " + maxEntries + " entries need");
        }
    }

    private static int readLe32(RandomAccessFile file, long at) throws IOException {
        byte[] b = new byte[4];
        file.seek(at);
        file.readFully(b);
        return le32(b, 0);
    }

    private static long readLe64(RandomAccessFile file, long at) throws IOException {
        return (readLe32(file, at) & 0xFFFFFFFFL) | (long) readLe32(file, at + 4) << 32;
    }

    /** The size field: octal digits, or base-256 when the first byte's high bit is set (-1 if beyond a long). */
    private static long size(byte[] header) {
        if ((header[124] & 0x80) != 0) {
            long value = 0;
            for (int i = 125; i < 136; i++) {
                if (value > (Long.MAX_VALUE >> 8)) {
                    return -1;
                }
                value = (value << 8) | (header[i] & 0xff);
            }
            return value;
        }
        long value = 0;
        for (int i = 124; i < 136; i++) {
            int c = header[i];
            if (c >= '0' && c <= '7') {
                value = value * 8 + (c - '0');
            } else if (c != ' ' && c != 0) {
                return -1;
            }
        }
        return value;
    }

    private static boolean zero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int le32(byte[] b, int at) {
        return le16(b, at) | le16(b, at + 2) << 16;
    }

    private static InvalidFunctionException invalid(String what) {
        return new InvalidFunctionException("invalid_archive", what);
    }
}
