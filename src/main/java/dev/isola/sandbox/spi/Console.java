package dev.isola.sandbox.spi;

import dev.isola.host.FileHoles;
import dev.isola.host.PrivateFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * The console of one instance: a file its sandbox appends stdout and stderr to, read back into the function's log
 * as bounded lines by the node's {@link ConsoleReader} (no thread, pipe or reader per instance, and the sandbox
 * needs no live parent to write its output). The reader gives back the disk blocks of what it has read, every
 * {@value #FREE_AT_BYTES} bytes, and, when the instance writes faster than the log takes it, drops a backlog beyond
 * {@value #MAX_BACKLOG_BYTES} bytes with a line that says so. The file therefore stays small on disk (its size grows,
 * its blocks do not). Blocks are freed by punching a hole, never by truncating: the sandbox may append at any moment,
 * and a truncation lost what it appended after the reader's last look.
 */
public final class Console implements AutoCloseable {
    static final long FREE_AT_BYTES = 256 * 1024;
    static final long MAX_BACKLOG_BYTES = 4 * 1024 * 1024;
    private static final int READ_CHUNK_BYTES = 64 * 1024;
    /** Blocks past what the console should hold, by more than this, are taken back ({@link #reclaim}). */
    static final long RECLAIM_SLACK_BYTES = 1024 * 1024;
    /** Read per poll at most: one chatty instance does not hold the reader from the others. */
    static final int MAX_BYTES_PER_POLL = 1024 * 1024;

    private final Path file;
    private final FileChannel channel;
    private final OutputSink out;
    private final LineCutter lines;
    private final ConsoleReader reader;
    private volatile OutputSink observer = OutputSink.DISCARD;
    private long position;
    /** Where the file's blocks start: everything before was read and punched out. */
    private long freedUpTo;
    private boolean closed;

    private Console(Path file, FileChannel channel, OutputSink sink, ConsoleReader reader) {
        this.file = file;
        this.channel = channel;
        this.reader = reader;
        this.out = text -> {
            observer.line(text);
            sink.line(text);
        };
        this.lines = new LineCutter(out);
    }

    static Console create(Path file, OutputSink sink, ConsoleReader reader) throws IOException {
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE), PrivateFiles.OWNER_ONLY);
        return new Console(file, channel, sink, reader);
    }

    /** Where the sandbox's stdout (and, merged, stderr) goes: appended to this file. */
    public Path file() {
        return file;
    }

    /** Also shows every line to {@code watcher} (before the log gets it): a provider reading its sandbox's words. */
    public void observe(OutputSink watcher) {
        this.observer = watcher;
    }

    /**
     * Delivers everything written up to now, including a last line without newline: what a sandbox that has just
     * died printed last is in the log when this returns. One pass to the size seen at its start, so a sandbox still
     * writing cannot keep the caller here.
     */
    public synchronized void drain() {
        if (!closed) {
            read(Integer.MAX_VALUE);
        }
        lines.flush();
    }

    /** Reads what is new, up to a bound; the number of bytes read (0 when idle, -1 when closed). */
    synchronized long poll() {
        return closed ? -1 : read(MAX_BYTES_PER_POLL);
    }

    private long read(int maxBytes) {
        try {
            long size = channel.size();
            if (size < position) {
                position = 0; // truncated by someone else: read what is there from its start
                freedUpTo = 0;
            }
            if (size - position > MAX_BACKLOG_BYTES) {
                dropBacklog(size);
                return 0;
            }
            long total = 0;
            ByteBuffer buffer = null;
            while (total < maxBytes && position < size) {
                int want = (int) Math.min(READ_CHUNK_BYTES, size - position);
                if (buffer == null || buffer.capacity() < want) {
                    buffer = ByteBuffer.allocate(want); // per read, not per console: thousands of idle consoles
                }
                buffer.clear().limit(want);
                int n = channel.read(buffer, position);
                if (n <= 0) {
                    break;
                }
                position += n;
                total += n;
                lines.accept(buffer.flip());
            }
            if (position - freedUpTo >= FREE_AT_BYTES) {
                freeUpTo(position);
            }
            return total;
        } catch (IOException e) {
            return 0; // the file went with its work directory; the instance is being removed
        }
    }

    private void dropBacklog(long size) throws IOException {
        long backlog = size - position;
        position = size;
        freeUpTo(size);
        lines.flush();
        out.line("[isola: " + (backlog >> 20) + " MiB of output dropped: the instance writes faster than its log "
                + "takes it]");
    }

    /**
     * Gives back the blocks before {@code end} (read or dropped). A file system without holes gets the file
     * truncated instead, when the reader has caught up: what the sandbox appends in that instant is lost there.
     */
    private void freeUpTo(long end) throws IOException {
        if (FileHoles.punch(file, freedUpTo, end - freedUpTo)) {
            freedUpTo = end;
        } else if (position == channel.size()) {
            channel.truncate(0);
            position = 0;
            freedUpTo = 0;
        }
    }

    /**
     * Gives back the disk the sandbox took outside the end of its output; the bytes given back. The file should only
     * hold blocks not yet freed ({@code size - freedUpTo}), but the sandbox has it open for writing: it may clear
     * O_APPEND and write into what was read and freed, or allocate past the end ({@code fallocate} with
     * {@code FALLOC_FL_KEEP_SIZE}). Neither moves the size the reader watches, so either would fill the state disk
     * unseen. Both are freed here (the second by setting the size it has, which loses what is appended in that
     * instant: only a sandbox that misbehaves pays that), and the log says so.
     */
    synchronized long reclaim() {
        if (closed) {
            return 0;
        }
        long allocated = FileHoles.allocatedBytes(file);
        long size;
        try {
            size = channel.size();
        } catch (IOException e) {
            return 0; // gone with its work directory
        }
        long allowed = size - freedUpTo + RECLAIM_SLACK_BYTES;
        if (allocated <= allowed) {
            return 0;
        }
        FileHoles.punch(file, 0, freedUpTo);
        if (FileHoles.allocatedBytes(file) > allowed) {
            FileHoles.freePastEnd(file, size);
        }
        long freed = allocated - Math.max(0, FileHoles.allocatedBytes(file));
        out.line("[isola: the instance wrote " + (freed >> 20) + " MiB to its console outside the end of its "
                + "output (never read as lines); that disk was given back]");
        return freed;
    }

    /** Delivers the last output, then stops reading; the file goes with the instance's work directory. */
    @Override
    public void close() {
        reader.forget(this);
        synchronized (this) {
            if (closed) {
                return;
            }
            drain();
            closed = true;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to read from it
        }
    }
}
