package dev.isola.bench;

import dev.isola.host.FileTrees;

import java.nio.file.Path;

/** Deletes what a bench test created. */
final class TestFiles {
    private TestFiles() {
    }

    /** Deletes {@code dir} and everything below it (symlinks removed, never followed); absent is fine. */
    static void deleteTree(Path dir) {
        FileTrees.deleteRecursively(dir);
    }
}
