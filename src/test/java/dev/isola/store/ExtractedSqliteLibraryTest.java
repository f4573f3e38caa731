package dev.isola.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtractedSqliteLibraryTest {
    private static final String COPY = "sqlite-3.51.1.0-05908fd9-c750-4d4c-b921-e5af0f2e7ccb-libsqlitejdbc.so";

    @TempDir
    Path dir;

    /** The server halts on a clean stop, so the driver's delete-on-exit never ran: 1 MiB in /tmp per start. */
    @Test
    void anOpenStore_leavesNoExtractedLibraryOnDisk() throws Exception {
        try (LockedConnection db = LockedConnection.open(dir.resolve("isola.db"))) {
            List<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .filter(line -> line.contains("libsqlitejdbc")).toList();

            assertThat(mapped).as("the driver's library is loaded").isNotEmpty();
            assertThat(mapped).as("and its extracted copy is gone from disk").allMatch(l -> l.endsWith(" (deleted)"));
        }
    }

    @Test
    void onlyMappedExtractedCopiesWithTheirLockFile_areRemoved() throws Exception {
        Path mapped = Files.createFile(dir.resolve(COPY));
        Files.createFile(dir.resolve(COPY + ".lck"));
        Path noLock = Files.createFile(dir.resolve(COPY.replace("05908fd9", "11111111")));
        Path installed = Files.createFile(dir.resolve("libsqlitejdbc.so"));
        Files.createFile(dir.resolve("libsqlitejdbc.so.lck"));
        Path unmapped = Files.createFile(dir.resolve(COPY.replace("05908fd9", "22222222")));
        Files.createFile(dir.resolve(unmapped.getFileName() + ".lck"));

        ExtractedSqliteLibrary.unlink(List.of(
                "7f0000000000-7f0000001000 r-xp 00000000 08:01 1234      " + mapped,
                "7f0000001000-7f0000002000 r--p 00001000 08:01 1234      " + mapped,
                "7f0000002000-7f0000003000 r-xp 00000000 08:01 1235      " + noLock,
                "7f0000003000-7f0000004000 r-xp 00000000 08:01 1236      " + installed,
                "7f0000004000-7f0000005000 rw-p 00000000 00:00 0 ",
                "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0         [stack]"));

        assertThat(dir.resolve(COPY)).doesNotExist();
        assertThat(dir.resolve(COPY + ".lck")).doesNotExist();
        assertThat(noLock).as("not the driver's live copy: it keeps a lock file").exists();
        assertThat(installed).as("a library the operator installed").exists();
        assertThat(unmapped).as("another JVM's copy").exists();
    }
}
