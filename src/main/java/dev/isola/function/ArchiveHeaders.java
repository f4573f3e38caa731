package dev.isola.function;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/**
 * Bounds that must hold before the zip library parses anything, because it makes an object of every central
 * directory record before any count applies, however many the end record says there are. Read here from the raw
 * end records, in constant memory. (Tar needs no such check: {@link TarStream} checks as it reads.)
 */
final class ArchiveHeaders {
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
