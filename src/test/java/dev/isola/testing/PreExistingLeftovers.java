package dev.isola.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Looks at the host once, before the first test of a run, so that the leak checks tell this run's leftovers from
 * those already there (a run killed with the machine leaves its taps and bridge behind, and every later run on that
 * host would otherwise fail each of its sandbox tests). Registered through {@code META-INF/services}.
 */
public final class PreExistingLeftovers implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        try {
            Leaks.notePreExisting();
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to look at the host before the tests", e);
        }
    }
}
