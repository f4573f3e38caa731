package dev.isola.sandbox.microvm;

import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.FileTrees;
import dev.isola.host.HostException;
import dev.isola.host.ProcessRunner;
import dev.isola.sandbox.spi.SandboxException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A Go program of Isola's own, shipped as sources in the jar and compiled once per source hash with the host's Go
 * into a static binary ({@code CGO_ENABLED=0}, no network: {@code GOPROXY=off}) cached at
 * {@code <cache>/microvm/<name>-<hash>/<name>}.
 */
final class GoProgram {
    /** PID 1 of every guest: {@code guest/init/}, about 2 MB. */
    static final GoProgram GUEST_INIT = new GoProgram("init", "guest/init",
            List.of("go.mod", "main.go", "net.go", "ready.go", "module.go", "clone.go"));
    /** Starts each QEMU in a network namespace of its own, holding only its tap: {@code helpers/vmexec/}. */
    static final GoProgram VMEXEC = new GoProgram("vmexec", "helpers/vmexec", List.of("go.mod", "main.go"));

    /** A build of a few Go files; a minute means something hangs. */
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(2);

    private final String name;
    private final String resourceDir;
    private final List<String> sources;
    private final Map<Path, Path> built = new HashMap<>();

    private GoProgram(String name, String resourceDir, List<String> sources) {
        this.name = name;
        this.resourceDir = resourceDir;
        this.sources = sources;
    }

    /** The binary, built now if the cache lacks it. Every VM start asks: the answer is kept per cache. */
    synchronized Path ensureBuilt(ProcessRunner runner, Path cacheDir) {
        Path known = built.get(cacheDir);
        if (known != null && Files.isExecutable(known)) {
            return known;
        }
        byte[][] contents = sources.stream().map(this::source).toArray(byte[][]::new);
        Path binary = cacheDir.resolve("microvm").resolve(name + "-" + hash(contents)).resolve(name);
        if (Files.isExecutable(binary)) {
            built.put(cacheDir, binary);
            return binary;
        }
        Path src = null;
        try {
            Files.createDirectories(binary.getParent());
            src = Files.createTempDirectory(binary.getParent(), "src-");
            for (int i = 0; i < sources.size(); i++) {
                Files.write(src.resolve(sources.get(i)), contents[i]);
            }
            Path out = src.resolve(name);
            CommandResult result = runner.result(Command.of("go", "build", "-trimpath", "-ldflags=-s -w", "-o",
                    out.toString(), ".").in(src).withTimeout(BUILD_TIMEOUT).withEnvironment(Map.of(
                    "PATH", runner.executables().pathVariable(), "CGO_ENABLED", "0", "GOPROXY", "off",
                    "GOFLAGS", "", "GOCACHE", cacheDir.resolve("go-build").toAbsolutePath().toString(),
                    "HOME", cacheDir.toAbsolutePath().toString())));
            if (!result.succeeded()) {
                throw new SandboxException("Failed to build the microVM " + name + " with go: " + (result.timedOut()
                        ? "no result within " + BUILD_TIMEOUT.toSeconds() + " s" : result.output()));
            }
            Files.move(out, binary, StandardCopyOption.ATOMIC_MOVE);
            built.put(cacheDir, binary);
            return binary;
        } catch (IOException | HostException e) {
            throw new SandboxException("Failed to build the microVM " + name + ": " + e.getMessage(), e);
        } finally {
            if (src != null) {
                FileTrees.deleteQuietly(src);
            }
        }
    }

    private byte[] source(String file) {
        String resource = resourceDir + "/" + file;
        try (InputStream in = GoProgram.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Isola's jar lacks " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hash(byte[][] parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (byte[] part : parts) {
                sha.update(part);
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
