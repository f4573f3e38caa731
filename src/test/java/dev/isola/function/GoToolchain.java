package dev.isola.function;

import dev.isola.testing.TestHost;
import dev.isola.testing.TestIsola;
import java.nio.file.Path;
import java.util.Optional;

/** Test support: whether this host has Go, and one build cache shared by all tests of a run and across runs. */
final class GoToolchain {
    private GoToolchain() {
    }

    static Optional<Path> go() {
        return HostFunctionBuilder.findGo(TestHost.runner().executables());
    }

    static boolean installed() {
        return go().isPresent();
    }

    /** Under target/, so the first run pays for compiling the standard library and later runs reuse it. */
    static Path sharedCache() {
        return TestIsola.sharedCacheDir();
    }
}
