package dev.isola.net;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Host-wide claims that every Isola on a host makes and checks: on instance addresses ({@link #addresses}; every run
 * puts its instances on the same bridges and subnet, and each allocator alone knows only its own run's addresses, so
 * two runs could hand out the same one and the host would send the calls of one run's instance to the other's), and
 * on the tags that name each state directory's devices ({@link #owners}, see {@link DeviceOwner}). A claim is one
 * byte of a file shared by every run, locked (an fcntl record lock) while it holds; the kernel drops a process's
 * record locks when it exits, so the claims of a run that crashed go with it.
 *
 * <p>Record locks belong to the process, not to the descriptor, and closing any descriptor of the file drops all of
 * the process's locks on it: so a file is opened once per JVM and closed when no claimer of this JVM uses it any
 * more. Two claimers of one JVM meet in Java's own lock table ({@link OverlappingFileLockException}).
 */
final class HostClaims implements AutoCloseable {
    /** Where host-wide claims live: beside the runtimes' state roots, on a tmpfs that a reboot empties. */
    static final Path HOST_DIR = Path.of("/run/isola");
    private static final Set<StandardOpenOption> OPEN_OPTIONS = Set.of(StandardOpenOption.CREATE,
            StandardOpenOption.READ, StandardOpenOption.WRITE);
    /** Read and written by root alone: it says which addresses and tags are live, nothing more. */
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final Map<Path, SharedFile> OPEN = new HashMap<>();

    private final Path file;
    private final Map<Integer, FileLock> held = new HashMap<>();
    /** Opened at the first claim: a platform that never claims anything makes no file. */
    private SharedFile shared;
    private boolean closed;

    private HostClaims(Path file) {
        this.file = file;
    }

    /** The claims every Isola on this host makes on the addresses of {@code cidr}: one byte per address. */
    static HostClaims addresses(String cidr) {
        return at(HOST_DIR.resolve("addresses-" + cidr.replace('/', '-')));
    }

    /** The claims every live Isola on this host holds on its state directory's device tag: one byte per tag. */
    static HostClaims owners() {
        return at(HOST_DIR.resolve("owners"));
    }

    static HostClaims at(Path file) {
        return new HostClaims(file.toAbsolutePath().normalize());
    }

    /** Claims number {@code index} (an address's, a tag's); false if another run (or claimer of this JVM) has it. */
    synchronized boolean tryClaim(int index) {
        if (closed) {
            throw new NetworkException("the host-wide claims on " + file + " are closed");
        }
        try {
            FileLock lock = channel().tryLock(index, 1, false);
            if (lock == null) {
                return false; // another process holds it
            }
            held.put(index, lock);
            return true;
        } catch (OverlappingFileLockException e) {
            return false; // another claimer of this JVM holds it
        } catch (IOException e) {
            throw new NetworkException("Failed to claim " + index + " in " + file + ": " + e.getMessage(), e);
        }
    }

    /** Gives up the claim on {@code index}, if this holds it. */
    synchronized void release(int index) {
        FileLock lock = held.remove(index);
        if (lock != null) {
            unlock(lock);
        }
    }

    /** Gives up every claim; the file is closed once no claimer of this JVM uses it. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        held.values().forEach(HostClaims::unlock);
        held.clear();
        if (shared != null) {
            synchronized (OPEN) {
                if (--shared.users == 0) {
                    OPEN.remove(file);
                    try {
                        shared.channel.close();
                    } catch (IOException ignored) {
                        // Closing drops this process's locks, the one thing that matters here.
                    }
                }
            }
        }
    }

    private FileChannel channel() throws IOException {
        if (shared == null) {
            synchronized (OPEN) {
                SharedFile open = OPEN.get(file);
                if (open == null) {
                    Files.createDirectories(file.getParent());
                    open = new SharedFile(FileChannel.open(file, OPEN_OPTIONS, OWNER_ONLY));
                    OPEN.put(file, open);
                }
                open.users++;
                shared = open;
            }
        }
        return shared.channel;
    }

    private static void unlock(FileLock lock) {
        try {
            lock.release();
        } catch (IOException ignored) {
            // The channel is gone, and the lock with it.
        }
    }

    private static final class SharedFile {
        final FileChannel channel;
        int users;

        SharedFile(FileChannel channel) {
            this.channel = channel;
        }
    }
}
