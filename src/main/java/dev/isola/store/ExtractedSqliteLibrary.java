package dev.isola.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * Removes the copy of SQLite's native library that sqlite-jdbc extracted for this JVM, once it is loaded. The driver
 * writes {@code sqlite-<version>-<uuid>-libsqlitejdbc.so} and a {@code .lck} beside it into the temporary directory
 * on every start and relies on delete-on-exit hooks, which never run for a server that stops with
 * {@code Runtime.halt} (a clean stop's exit code, see ServeCommand) or is killed: each start left about 1 MiB in
 * {@code /tmp} for good, because the driver's own clean-up spares files whose {@code .lck} is still there. A loaded
 * library is mapped, so unlinking it changes nothing for this JVM and leaves nothing to clean up however it ends.
 */
final class ExtractedSqliteLibrary {
    private static final System.Logger LOG = System.getLogger(ExtractedSqliteLibrary.class.getName());
    /** The driver's name for an extracted copy; one the operator installed ({@code org.sqlite.lib.path}) differs. */
    private static final Pattern EXTRACTED = Pattern.compile("sqlite-[0-9.]+-[0-9a-f-]{36}-libsqlitejdbc\\.so");
    private static final Path MAPS = Path.of("/proc/self/maps");
    private static final AtomicBoolean DONE = new AtomicBoolean();

    private ExtractedSqliteLibrary() {
    }

    /** After the first connection (the library is loaded by then); later calls do nothing. Never throws. */
    static void unlinkOnce() {
        if (DONE.compareAndSet(false, true)) {
            try {
                unlink(Files.readAllLines(MAPS));
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "could not read " + MAPS + ": " + e);
            }
        }
    }

    /** Deletes each extracted copy that {@code maps} (lines of a {@code /proc/<pid>/maps}) shows mapped. */
    static void unlink(List<String> maps) {
        maps.stream()
                .filter(line -> line.contains(" /"))
                .map(line -> Path.of(line.substring(line.indexOf(" /") + 1))) // the rest of the line, spaces and all
                .distinct()
                .filter(path -> EXTRACTED.matcher(path.getFileName().toString()).matches())
                .filter(path -> Files.exists(path.resolveSibling(path.getFileName() + ".lck")))
                .forEach(ExtractedSqliteLibrary::delete);
    }

    private static void delete(Path library) {
        try {
            Files.deleteIfExists(library);
            Files.deleteIfExists(library.resolveSibling(library.getFileName() + ".lck"));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not remove the extracted SQLite library " + library + ": " + e);
        }
    }
}
