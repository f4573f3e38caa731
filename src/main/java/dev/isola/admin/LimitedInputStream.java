package dev.isola.admin;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Fails once more than {@code limit} bytes were read: request bodies without a trustworthy Content-Length. */
final class LimitedInputStream extends FilterInputStream {
    private final long limit;
    private long read;

    LimitedInputStream(InputStream in, long limit) {
        super(in);
        this.limit = limit;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int off, int len) throws IOException {
        int n = super.read(buffer, off, len);
        if (n > 0) {
            count(n);
        }
        return n;
    }

    private void count(int n) throws LimitExceededException {
        read += n;
        if (read > limit) {
            throw new LimitExceededException(limit);
        }
    }

    /** Thrown on the read that passes the limit. */
    static final class LimitExceededException extends IOException {
        LimitExceededException(long limit) {
            super("body exceeds " + limit + " bytes");
        }
    }
}
