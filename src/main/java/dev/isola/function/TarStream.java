package dev.isola.function;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads a tar stream entry by entry, checking each header as it parses it, in bounded memory: the POSIX ustar and pax
 * formats and GNU's long names, which is what tar, bsdtar, Go's and Python's writers make. Anything a function's
 * archive has no use for is refused rather than interpreted: sparse files, multi-volume and dump-directory entries,
 * unknown entry types, data on a directory or symlink, and metadata records past {@link #MAX_METADATA_BYTES} or more
 * than {@link #MAX_METADATA_RECORDS} in a row.
 *
 * <p>Why not a library's reader: one that buffers a long-name record or a pax header whole, whatever size its header
 * claims (a small gzip can claim gigabytes), or keeps a list entry per sparse record, needs a check in front of it
 * that walks the stream as it does, and two walks differ on some input (a directory's data, a pax size): the check
 * then passes what the parser reads otherwise. Here the walk that checks is the walk that reads.
 */
final class TarStream {
    /** A path is at most 4 KiB; a pax header holds a few of them and some attributes. */
    static final int MAX_METADATA_BYTES = 64 * 1024;
    /** Long name, long link name, pax header and a global one: no entry needs more before it. */
    static final int MAX_METADATA_RECORDS = 4;
    private static final int BLOCK = 512;

    /** One entry: {@code type} is the header's type flag, with a directory's always '5'. */
    record Entry(String name, char type, int mode, long size, String linkName) {
    }

    private final InputStream in;
    private final byte[] header = new byte[BLOCK];
    /** Bytes of the current entry's data, padding included, not yet read past. */
    private long remaining;
    /** Of those, bytes of data (not padding) not yet read. */
    private long dataLeft;

    TarStream(InputStream in) {
        this.in = in;
    }

    /** The next entry, after what is left of the current one; empty at the end of the archive. */
    Optional<Entry> next() throws IOException {
        in.skipNBytes(remaining);
        remaining = 0;
        dataLeft = 0;
        String longName = null;
        String longLink = null;
        Pax pax = Pax.NONE;
        for (int metadata = 0; ; metadata++) {
            int read = in.readNBytes(header, 0, BLOCK);
            if (read == 0 && metadata == 0) {
                return Optional.empty(); // no end-of-archive marker, as a writer not closed leaves it: the end all the same
            }
            if (read < BLOCK) {
                throw new EOFException("the archive ends inside a header");
            }
            if (zero(header)) {
                return Optional.empty(); // the end-of-archive marker; what follows it is not read
            }
            checkChecksum();
            char type = (char) header[156];
            long size = size();
            if (metadata >= MAX_METADATA_RECORDS && isMetadata(type)) {
                throw invalid("more than " + MAX_METADATA_RECORDS + " metadata records before one entry");
            }
            switch (type) {
                case 'L' -> longName = once(longName, text(metadata(size, "long-name record")), "long name");
                case 'K' -> longLink = once(longLink, text(metadata(size, "long-name record")), "long link name");
                case 'x', 'X' -> pax = Pax.parse(metadata(size, "pax header"));
                case 'g' -> metadata(size, "pax header"); // global attributes: none Isola uses
                default -> {
                    return Optional.of(entry(type, size, longName, longLink, pax));
                }
            }
        }
    }

    /** The current entry's data, which ends at its size; read it or not, {@link #next()} skips what is left. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (dataLeft == 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, dataLeft));
                if (n < 0) {
                    throw new EOFException("the archive ends inside an entry's data");
                }
                dataLeft -= n;
                remaining -= n;
                return n;
            }
        };
    }

    private Entry entry(char type, long size, String longName, String longLink, Pax pax) {
        String name = longName != null ? longName : pax.path != null ? pax.path : headerName();
        String link = longLink != null ? longLink : pax.linkPath != null ? pax.linkPath : field(157, 100);
        long dataSize = pax.size >= 0 ? pax.size : size;
        char kind = switch (type) {
            // A regular file's flag on a name ending in '/' is how pre-POSIX tars wrote directories.
            case '0', '\0' -> name.endsWith("/") ? '5' : '0';
            case '1', '2', '3', '4', '5', '6', '7' -> type;
            case 'S' -> throw invalid("sparse files are not supported: '" + name + "'");
            default -> throw invalid("unsupported tar entry type '" + printable(type) + "': '" + name + "'");
        };
        if ((kind == '5' || kind == '2') && dataSize != 0) {
            throw invalid("entry '" + name + "' (a " + (kind == '5' ? "directory" : "symlink") + ") carries "
                    + dataSize + " bytes of data");
        }
        dataLeft = dataSize;
        remaining = padded(dataSize);
        return new Entry(name, kind, (int) octal(100, 8), dataSize, link);
    }

    /** Reads a metadata record's data whole, refusing one past {@link #MAX_METADATA_BYTES}. */
    private byte[] metadata(long size, String what) throws IOException {
        if (size > MAX_METADATA_BYTES) {
            throw invalid("a tar " + what + " of " + size + " bytes (at most " + MAX_METADATA_BYTES + ")");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new EOFException("the archive ends inside a " + what);
        }
        in.skipNBytes(padded(size) - size);
        return data;
    }

    private static boolean isMetadata(char type) {
        return type == 'L' || type == 'K' || type == 'x' || type == 'X' || type == 'g';
    }

    private static String once(String earlier, String value, String what) {
        if (earlier != null) {
            throw invalid("two " + what + " records for one entry");
        }
        return value;
    }

    private String headerName() {
        String name = field(0, 100);
        // POSIX ustar ("ustar\0") splits long names into a prefix; GNU's "ustar  \0" uses those bytes otherwise.
        boolean posix = header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
                && header[261] == 'r' && header[262] == 0;
        String prefix = posix ? field(345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** The header's size field: octal, or base-256 when the first byte's high bit is set. */
    private long size() {
        if ((header[124] & 0x80) != 0) {
            long value = 0;
            for (int i = 125; i < 136; i++) {
                if (value > (Long.MAX_VALUE >> 8)) {
                    throw invalid("a tar entry size beyond what a file can hold");
                }
                value = (value << 8) | (header[i] & 0xff);
            }
            return value;
        }
        return octal(124, 12);
    }

    private long octal(int at, int length) {
        long value = 0;
        for (int i = at; i < at + length; i++) {
            int c = header[i];
            if (c >= '0' && c <= '7') {
                if (value > (Long.MAX_VALUE >> 3)) {
                    throw invalid("a tar header field beyond what a file can hold");
                }
                value = value * 8 + (c - '0');
            } else if (c != ' ' && c != 0) {
                throw invalid("a tar header field that is not a number");
            }
        }
        return value;
    }

    /** The stored sum of the header's bytes, its own field counted as spaces (signed bytes by some old tars). */
    private void checkChecksum() {
        long stored = octal(148, 8);
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = i >= 148 && i < 156 ? ' ' : header[i];
            unsigned += b & 0xff;
            signed += b;
        }
        if (stored != unsigned && stored != signed) {
            throw invalid("a tar header whose checksum does not match: not a tar archive, or a damaged one");
        }
    }

    private String field(int at, int length) {
        int end = at;
        while (end < at + length && header[end] != 0) {
            end++;
        }
        return new String(header, at, end - at, StandardCharsets.UTF_8);
    }

    private static String text(byte[] data) {
        int end = 0;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        return new String(data, 0, end, StandardCharsets.UTF_8);
    }

    private static long padded(long size) {
        return (size + BLOCK - 1) / BLOCK * BLOCK;
    }

    private static boolean zero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String printable(char c) {
        return c >= 0x21 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }

    private static InvalidFunctionException invalid(String what) {
        return new InvalidFunctionException("invalid_archive", what);
    }

    /** What a pax extended header says of the entry after it; -1 for a size it does not give. */
    private record Pax(String path, String linkPath, long size) {
        static final Pax NONE = new Pax(null, null, -1);

        /** Records of "{length} {key}={value}\n", the length counting the whole record. */
        static Pax parse(byte[] data) {
            String path = null;
            String linkPath = null;
            long size = -1;
            int at = 0;
            while (at < data.length && data[at] != 0) {
                int space = at;
                while (space < data.length && data[space] != ' ') {
                    space++;
                }
                int length = recordLength(data, at, space);
                int end = at + length;
                if (length <= space - at + 1 || end > data.length || data[end - 1] != '\n') {
                    throw invalid("a malformed pax header record");
                }
                String record = new String(data, space + 1, end - space - 2, StandardCharsets.UTF_8);
                int equals = record.indexOf('=');
                if (equals < 0) {
                    throw invalid("a malformed pax header record");
                }
                String key = record.substring(0, equals);
                String value = record.substring(equals + 1);
                if (key.startsWith("GNU.sparse.")) {
                    throw invalid("sparse files are not supported");
                }
                switch (key) {
                    case "path" -> path = value;
                    case "linkpath" -> linkPath = value;
                    case "size" -> size = paxSize(value);
                    default -> { } // times, owners, extended attributes: Isola sets its own
                }
                at = end;
            }
            return new Pax(path, linkPath, size);
        }

        private static int recordLength(byte[] data, int from, int space) {
            if (space == from || space - from > 6) {
                throw invalid("a malformed pax header record");
            }
            int length = 0;
            for (int i = from; i < space; i++) {
                if (data[i] < '0' || data[i] > '9') {
                    throw invalid("a malformed pax header record");
                }
                length = length * 10 + (data[i] - '0');
            }
            return length;
        }

        private static long paxSize(String value) {
            try {
                long size = Long.parseLong(value);
                if (size < 0) {
                    throw invalid("a negative size in a pax header");
                }
                return size;
            } catch (NumberFormatException e) {
                throw invalid("a pax header size that is not a number: " + value);
            }
        }
    }
}
