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
}
