package dev.isola.host;

import java.nio.file.Path;

/**
 * Gives the disk blocks of a file's head back while another process keeps appending to it. Truncating such a file
 * cannot be done safely: whatever the writer appends between the reader's last look at the size and the truncation
 * is lost (CI saw a function's line arrive as its last letter). A hole leaves the size and every later byte alone.
 */
public final class FileHoles {
    private FileHoles() {
    }

    /**
     * Frees {@code [offset, offset + length)} of {@code file}, which reads as zeros afterwards; false when the file
     * system cannot (ext4, xfs, btrfs and tmpfs can) or the file is gone.
     */
    public static boolean punch(Path file, long offset, long length) {
        if (length <= 0) {
            return true;
        }
        int fd = LinuxCalls.open(file, LinuxCalls.O_WRONLY | LinuxCalls.O_CLOEXEC);
        if (fd < 0) {
            return false;
        }
        try {
            return LinuxCalls.punchHole(fd, offset, length);
        } finally {
            LinuxCalls.close(fd);
        }
    }

    /** The disk space {@code file} takes, its blocks (not its size); -1 when it is gone. */
    public static long allocatedBytes(Path file) {
        int fd = LinuxCalls.open(file, LinuxCalls.O_RDONLY | LinuxCalls.O_CLOEXEC);
        if (fd < 0) {
            return -1;
        }
        try {
            return LinuxCalls.allocatedBytes(fd);
        } finally {
            LinuxCalls.close(fd);
        }
    }

    /**
     * Sets {@code file}'s size to {@code size}, the size it had a moment ago: that frees the blocks allocated past its
     * end without growing it ({@code fallocate} with {@code FALLOC_FL_KEEP_SIZE}; ext4, xfs and tmpfs free them even
     * when the size does not change). What a writer appended since that moment is lost: a last resort.
     */
    public static boolean freePastEnd(Path file, long size) {
        int fd = LinuxCalls.open(file, LinuxCalls.O_WRONLY | LinuxCalls.O_CLOEXEC);
        if (fd < 0) {
            return false;
        }
        try {
            return LinuxCalls.truncate(fd, size);
        } finally {
            LinuxCalls.close(fd);
        }
    }
}
