package dev.isola.host;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Files that may hold a function's secrets (its {@code env} in the database, an initramfs or an OCI config; what it
 * printed in a log): created {@code 0600}, whatever the umask. The state directory is already {@code 0700}; this is
 * the second wall, for a copy, a backup or a directory mode an operator loosened.
 */
public final class PrivateFiles {
    /** {@code rw-------}, for {@link Files#createFile} and channel opens. */
    public static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private PrivateFiles() {
    }

    /** Creates {@code file} (owner only) if it is missing, or takes away every permission but the owner's if not. */
    public static void ensure(Path file) throws IOException {
        if (Files.notExists(file)) {
            try {
                Files.createFile(file, OWNER_ONLY);
                return;
            } catch (FileAlreadyExistsException raced) {
                // made in between: narrow it below
            }
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    /**
     * An output stream to {@code file}, created owner-only when missing; {@code options} as for
     * {@link Files#newOutputStream} ({@code CREATE, TRUNCATE_EXISTING} when none are given).
     */
    public static OutputStream output(Path file, StandardOpenOption... options) throws IOException {
        Set<StandardOpenOption> open = EnumSet.of(StandardOpenOption.WRITE);
        open.addAll(options.length == 0
                ? List.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING) : List.of(options));
        return Channels.newOutputStream(Files.newByteChannel(file, open, OWNER_ONLY));
    }
}
