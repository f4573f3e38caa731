package dev.isola.function;

/** Rewrites the uncompressed sizes a zip declares, to build archives whose headers lie the way zip bombs do. */
final class ZipPatcher {
    private ZipPatcher() {
    }

    /** Returns how many size fields were rewritten (central directory headers and data descriptors). */
    static int declareUncompressedSize(byte[] zip, int size) {
        int patched = 0;
        for (int i = 0; i + 4 <= zip.length; i++) {
            if (signature(zip, i, 0x02014b50)) {        // central directory file header
                writeInt(zip, i + 24, size);
                patched++;
            } else if (signature(zip, i, 0x08074b50)) { // data descriptor: crc, compressed, uncompressed
                writeInt(zip, i + 12, size);
                patched++;
            }
        }
        return patched;
    }

    private static boolean signature(byte[] b, int at, int value) {
        return (b[at] & 0xff) == (value & 0xff) && (b[at + 1] & 0xff) == ((value >> 8) & 0xff)
                && (b[at + 2] & 0xff) == ((value >> 16) & 0xff) && (b[at + 3] & 0xff) == ((value >> 24) & 0xff);
    }

    private static void writeInt(byte[] b, int at, int value) {
        for (int k = 0; k < 4; k++) {
            b[at + k] = (byte) (value >> (8 * k));
        }
    }
}
