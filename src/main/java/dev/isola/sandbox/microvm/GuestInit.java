package dev.isola.sandbox.microvm;

import dev.isola.sandbox.spi.SandboxException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PID 1 of every guest: the Go program under {@code guest/init/}, compiled once per source hash with the host's Go
 * into a static binary ({@code CGO_ENABLED=0}, about 2 MB) cached at {@code <cache>/microvm/init-<hash>}.
 */
final class GuestInit {
    private static final List<String> SOURCES = List.of("go.mod", "main.go", "net.go", "ready.go", "module.go");

    private GuestInit() {
    }

    static synchronized Path ensureBuilt(Path cacheDir) {
        byte[][] sources = SOURCES.stream().map(GuestInit::source).toArray(byte[][]::new);
        Path binary = cacheDir.resolve("microvm").resolve("init-" + hash(sources)).resolve("init");
        if (Files.isExecutable(binary)) {
            return binary;
        }
        try {
            Files.createDirectories(binary.getParent());
            Path src = Files.createTempDirectory(binary.getParent(), "src-");
            try {
                for (int i = 0; i < SOURCES.size(); i++) {
                    Files.write(src.resolve(SOURCES.get(i)), sources[i]);
                }
                Path out = src.resolve("init");
                ProcessBuilder pb = new ProcessBuilder("go", "build", "-trimpath", "-ldflags=-s -w", "-o",
                        out.toString(), ".").directory(src.toFile()).redirectErrorStream(true);
                pb.environment().putAll(java.util.Map.of("CGO_ENABLED", "0", "GOPROXY", "off", "GOFLAGS", "",
                        "GOCACHE", cacheDir.resolve("go-build").toAbsolutePath().toString(),
                        "HOME", cacheDir.toAbsolutePath().toString()));
                Process p = pb.start();
                p.getOutputStream().close();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new SandboxException("Failed to build the microVM init with go: " + output.trim());
                }
                Files.move(out, binary, StandardCopyOption.ATOMIC_MOVE);
                return binary;
            } finally {
                MinimalKernel.deleteTree(src);
            }
        } catch (IOException e) {
            throw new SandboxException("Failed to build the microVM init: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("Failed to build the microVM init: interrupted", e);
        }
    }

    private static byte[] source(String file) {
        String resource = "guest/init/" + file;
        try (InputStream in = GuestInit.class.getClassLoader().getResourceAsStream(resource)) {
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
