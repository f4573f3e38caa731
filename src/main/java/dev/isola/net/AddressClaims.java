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
 * Host-wide claims on instance addresses. Every Isola on a host puts its instances on the same bridges and subnet, and
 * each allocator alone knows only its own run's addresses: two runs could hand out the same one, and the host would
 * then send the calls of one run's instance to the other's. A claim is one byte of a file shared by every run,
 * locked (an fcntl record lock) while the address is in use; the kernel drops a process's record locks when it exits,
 * so the claims of a run that crashed go with it.
 *
 * <p>Record locks belong to the process, not to the descriptor, and closing any descriptor of the file drops all of
 * the process's locks on it: so a file is opened once per JVM and closed when no allocator of this JVM uses it any
 * more. Two allocators of one JVM meet in Java's own lock table ({@link OverlappingFileLockException}).
 */
final class AddressClaims implements AutoCloseable {
    /** Where host-wide claims live: beside the runtimes' state roots, on a tmpfs that a reboot empties. */
    static final Path HOST_DIR = Path.of("/run/isola");
    private static final Set<StandardOpenOption> OPEN_OPTIONS = Set.of(StandardOpenOption.CREATE,
            StandardOpenOption.READ, StandardOpenOption.WRITE);
    /** Read and written by root alone: it says which addresses are live, nothing more. */
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final Map<Path, SharedFile> OPEN = new HashMap<>();

    private final Path file;
    private final Map<Integer, FileLock> held = new HashMap<>();
    /** Opened at the first claim: a platform that never attaches an instance makes no file. */
    private SharedFile shared;
    private boolean closed;

    private AddressClaims(Path file) {
        this.file = file;
    }

    /** The claims every Isola on this host makes on {@code cidr}. */
    static AddressClaims hostWide(String cidr) {
        return at(HOST_DIR.resolve("addresses-" + cidr.replace('/', '-')));
    }

    static AddressClaims at(Path file) {
        return new AddressClaims(file.toAbsolutePath().normalize());
    }

    /** Claims address number {@code index} of the subnet; false if another run (or allocator) holds it. */
    synchronized boolean tryClaim(int index) {
        if (closed) {
            throw new NetworkException("the address allocator is closed");
        }
        try {
            FileLock lock = channel().tryLock(index, 1, false);
            if (lock == null) {
                return false; // another process holds it
            }
            held.put(index, lock);
            return true;
        } catch (OverlappingFileLockException e) {
            return false; // another allocator of this JVM holds it
        } catch (IOException e) {
            throw new NetworkException("Failed to claim an instance address in " + file + ": " + e.getMessage(), e);
        }
    }

    /** Gives up the claim on {@code index}, if this holds it. */
    synchronized void release(int index) {
        FileLock lock = held.remove(index);
        if (lock != null) {
            unlock(lock);
        }
    }

    /** Gives up every claim; the file is closed once no allocator of this JVM uses it. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        held.values().forEach(AddressClaims::unlock);
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
