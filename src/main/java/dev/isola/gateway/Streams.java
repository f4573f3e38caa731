package dev.isola.gateway;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Bounded stream copies for the proxy. */
final class Streams {
    private Streams() {
    }

    /** Copies exactly {@code length} bytes; a shorter stream is an error (the peer died mid-body). */
    static void copyExactly(InputStream in, OutputStream out, long length, byte[] buffer) throws IOException {
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("body ended " + left + " bytes early");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    /** Copies until end of stream; returns the byte count. */
    static long copyAll(InputStream in, OutputStream out, byte[] buffer) throws IOException {
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
            total += n;
        }
        return total;
    }
}
