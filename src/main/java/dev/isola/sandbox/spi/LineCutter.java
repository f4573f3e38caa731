package dev.isola.sandbox.spi;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Cuts a byte stream into lines of at most {@value #MAX_LINE_BYTES} bytes without ever holding more: the rest of an
 * over-long line is counted and skipped up to its newline, so a function printing gigabytes with no newline costs
 * the platform one line's worth of memory. Not thread-safe: its {@link Console} serialises the calls.
 */
final class LineCutter {
    static final int MAX_LINE_BYTES = 8192;
    private static final int FIRST_CAPACITY = 128;

    private final OutputSink sink;
    private byte[] pending = new byte[0];
    private int length;
    private long skipped;

    LineCutter(OutputSink sink) {
        this.sink = sink;
    }

    void accept(ByteBuffer bytes) {
        while (bytes.hasRemaining()) {
            byte b = bytes.get();
            if (b == '\n') {
                endLine();
            } else if (b == '\r' && length == MAX_LINE_BYTES) {
                // not counted: a serial console ends lines with CRLF, and the CR is no text lost
            } else if (skipped > 0) {
                skipped++;
            } else if (length == MAX_LINE_BYTES) {
                skipped = 1;
            } else {
                append(b);
            }
        }
    }

    /** Delivers a last line that has no newline (the stream ended). */
    void flush() {
        if (length > 0 || skipped > 0) {
            endLine();
        }
    }

    private void append(byte b) {
        if (length == pending.length) {
            pending = Arrays.copyOf(pending, Math.min(MAX_LINE_BYTES, Math.max(FIRST_CAPACITY, length * 2)));
        }
        pending[length++] = b;
    }

    private void endLine() {
        int end = length > 0 && pending[length - 1] == '\r' ? length - 1 : length;
        String line = new String(pending, 0, end, StandardCharsets.UTF_8);
        if (skipped > 0) {
            line += " [line cut: " + skipped + " more bytes dropped]";
        }
        length = 0;
        skipped = 0;
        if (pending.length > FIRST_CAPACITY) {
            pending = new byte[0]; // an idle instance keeps no line buffer
        }
        sink.line(line);
    }
}
