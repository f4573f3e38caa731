package dev.isola.sandbox.microvm;

import dev.isola.Ticker;
import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.FileTrees;
import dev.isola.host.HostException;
import dev.isola.host.ProcessRunner;
import dev.isola.sandbox.spi.SandboxException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Isola's single-purpose guest kernel ("Linux as a unikernel"): Debian's {@code linux-source-6.1} configured with
 * {@code make tinyconfig} plus the checked-in fragment {@code guest/kernel/minimal.config}, built once into a PVH
 * {@code vmlinux} that QEMU boots directly (no decompression, no firmware).
 *
 * <p>Cache: {@code <cache>/kernels/minimal-<source version>-<fragment hash>/vmlinux}, so a new Debian source
 * package or a changed fragment builds a new kernel and never reuses a stale one. The build runs in a scratch
 * directory beside the cache and is moved in only when complete, under a file lock (two Isolas on one host build
 * it once). A build takes about 3 minutes on 2 cores; progress is reported as the share of objects compiled.
 */
final class MinimalKernel {
    static final Path SOURCE_TARBALL = Path.of("/usr/src/linux-source-6.1.tar.xz");
    static final String FRAGMENT_RESOURCE = "guest/kernel/minimal.config";
    /** Objects ("CC" lines) in one build of this fragment, counted once; only used for the progress figure. */
    private static final int EXPECTED_OBJECTS = 870;
    private static final long PROGRESS_EVERY_NANOS = 5_000_000_000L;
    /** A build takes minutes; an hour means it hangs. */
    private static final Duration STEP_TIMEOUT = Duration.ofHours(1);
    private static final int TAIL_LINES = 20;

    private final ProcessRunner runner;
    private final Path cacheDir;
    private final Ticker ticker;

    MinimalKernel(ProcessRunner runner, Path cacheDir, Ticker ticker) {
        this.runner = runner;
        this.cacheDir = cacheDir;
        this.ticker = ticker;
    }

    /** The built kernel, if this cache has it. */
    Optional<Path> cached() {
        if (!Files.isRegularFile(SOURCE_TARBALL)) {
            return Optional.empty();
        }
        Path image = imagePath(cacheDir);
        return Files.isRegularFile(image) ? Optional.of(image) : Optional.empty();
    }

    /** Why this host cannot build the kernel, if it cannot. */
    Optional<String> whyNotBuildable() {
        if (!Files.isRegularFile(SOURCE_TARBALL)) {
            return Optional.of(SOURCE_TARBALL + " is missing (apt-get install linux-source-6.1)");
        }
        for (String tool : List.of("make", "gcc", "flex", "bison", "bc", "tar", "xz")) {
            if (!runner.executables().has(tool)) {
                return Optional.of(tool + " is missing (apt-get install build-essential flex bison bc libelf-dev "
                        + "xz-utils)");
            }
        }
        if (!Files.exists(Path.of("/usr/include/libelf.h"))) {
            return Optional.of("libelf headers are missing (apt-get install libelf-dev)");
        }
        return Optional.empty();
    }

    /**
     * For commands a person waits on ({@code isola up}, {@code isola bench}): builds the kernel now, with progress,
     * if this host can and the cache lacks it; a failure is reported, not thrown (the generic kernel still works).
     */
    void prebuild(Consumer<String> out) {
        if (cached().isPresent() || whyNotBuildable().isPresent()) {
            return;
        }
        out.accept("Building the microvm backend's minimal guest kernel once (a few minutes):");
        try {
            ensureBuilt(line -> out.accept("  " + line));
        } catch (RuntimeException e) {
            out.accept("  " + e.getMessage() + " (microvm functions can use kernel: generic meanwhile)");
        }
    }

    /** Builds the kernel unless the cache has it; returns the {@code vmlinux}. Blocks for minutes on a build. */
    Path ensureBuilt(Consumer<String> progress) {
        Path image = imagePath(cacheDir);
        if (Files.isRegularFile(image)) {
            return image;
        }
        whyNotBuildable().ifPresent(reason -> {
            throw new SandboxException("Failed to build the minimal guest kernel: " + reason);
        });
        Path kernels = image.getParent().getParent();
        try {
            Files.createDirectories(kernels);
            try (FileChannel lockFile = FileChannel.open(kernels.resolve(".build.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
                if (Files.isRegularFile(image)) {
                    return image;
                }
                build(image, progress);
                return image;
            }
        } catch (IOException e) {
            throw new SandboxException("Failed to build the minimal guest kernel: " + e.getMessage(), e);
        }
    }

    private void build(Path image, Consumer<String> progress) throws IOException {
        Path scratch = Files.createTempDirectory(image.getParent().getParent(), ".build-");
        long started = ticker.nanos();
        try {
            progress.accept("minimal guest kernel: unpacking " + SOURCE_TARBALL);
            run(scratch, List.of("tar", "-xf", SOURCE_TARBALL.toString(), "--strip-components=1"), line -> { });
            Files.write(scratch.resolve("isola.config"), fragment());
            progress.accept("minimal guest kernel: configuring (tinyconfig + " + FRAGMENT_RESOURCE + ")");
            run(scratch, List.of("make", "ARCH=x86_64", "tinyconfig"), line -> { });
            run(scratch, List.of("scripts/kconfig/merge_config.sh", "-m", ".config", "isola.config"), line -> { });
            run(scratch, List.of("make", "ARCH=x86_64", "olddefconfig"), line -> { });
            verifyConfig(scratch);
            int[] objects = {0};
            long[] lastReport = {ticker.nanos()};
            int jobs = Runtime.getRuntime().availableProcessors();
            run(scratch, List.of("make", "-j" + jobs, "ARCH=x86_64", "vmlinux"), line -> {
                if (line.startsWith("  CC ")) {
                    objects[0]++;
                }
                long now = ticker.nanos();
                if (now - lastReport[0] > PROGRESS_EVERY_NANOS) {
                    lastReport[0] = now;
                    int percent = Math.min(99, objects[0] * 100 / EXPECTED_OBJECTS);
                    progress.accept(String.format("minimal guest kernel: compiling, %d%% (%d objects, %d s)",
                            percent, objects[0], (now - started) / 1_000_000_000L));
                }
            });
            Files.createDirectories(image.getParent());
            Files.copy(scratch.resolve("vmlinux"), image.resolveSibling("vmlinux.tmp"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.copy(scratch.resolve(".config"), image.resolveSibling("config"), StandardCopyOption.REPLACE_EXISTING);
            Files.move(image.resolveSibling("vmlinux.tmp"), image, StandardCopyOption.ATOMIC_MOVE);
            progress.accept("minimal guest kernel: built in " + (ticker.nanos() - started) / 1_000_000_000L
                    + " s: " + image);
        } finally {
            FileTrees.deleteQuietly(scratch);
        }
    }

    /** Every option the fragment asks for must have survived olddefconfig: a silently dropped one breaks boot. */
    private static void verifyConfig(Path tree) throws IOException {
        List<String> config = Files.readAllLines(tree.resolve(".config"));
        List<String> missing = new ArrayList<>();
        for (String line : new String(fragment(), StandardCharsets.UTF_8).lines().toList()) {
            String wanted = line.trim();
            if (wanted.startsWith("CONFIG_") && !config.contains(wanted)) {
                missing.add(wanted);
            } else if (wanted.startsWith("# CONFIG_") && wanted.endsWith(" is not set")) {
                String option = wanted.substring(2, wanted.length() - " is not set".length());
                if (config.stream().anyMatch(c -> c.startsWith(option + "="))) {
                    missing.add(wanted);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new SandboxException("Failed to configure the minimal guest kernel: the fragment's " + missing
                    + " did not survive olddefconfig (a dependency is missing from the fragment)");
        }
    }

    private void run(Path dir, List<String> argv, Consumer<String> lines) {
        List<String> tail = new ArrayList<>();
        CommandResult result;
        try {
            result = runner.result(Command.of(argv).in(dir).withTimeout(STEP_TIMEOUT), line -> {
                lines.accept(line);
                synchronized (tail) {
                    tail.add(line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
            });
        } catch (HostException e) {
            throw new SandboxException("Failed to build the minimal guest kernel: " + e.getMessage(), e);
        }
        if (!result.succeeded()) {
            synchronized (tail) {
                throw new SandboxException("Failed to build the minimal guest kernel: '" + String.join(" ", argv)
                        + "' " + (result.timedOut() ? "did not finish within " + STEP_TIMEOUT.toMinutes() + " min"
                        : "exited with status " + result.exitCode()) + ":\n" + String.join("\n", tail));
            }
        }
    }

    static Path imagePath(Path cacheDir) {
        return cacheDir.resolve("kernels").resolve(key()).resolve("vmlinux");
    }

    /** {@code minimal-<tarball size and mtime>-<fragment hash>}: changes with the source package or fragment. */
    static String key() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(fragment());
            String source = Files.exists(SOURCE_TARBALL)
                    ? Files.size(SOURCE_TARBALL) + "-" + Files.getLastModifiedTime(SOURCE_TARBALL).toMillis() / 1000
                    : "nosource";
            return "minimal-6.1-" + source + "-" + HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] fragment() {
        try (InputStream in = MinimalKernel.class.getClassLoader().getResourceAsStream(FRAGMENT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("Isola's jar lacks " + FRAGMENT_RESOURCE);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
