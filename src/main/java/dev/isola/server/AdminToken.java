package dev.isola.server;

import java.nio.file.StandardCopyOption;
import dev.isola.IsolaException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/** The admin bearer token: generated once (256 random bits) into a file only its owner can read. */
final class AdminToken {
    private AdminToken() {
    }

    static String readOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            String token = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (token.length() < 32) {
                throw new IsolaException("Failed to read admin token " + file + ": it is shorter than 32 characters; "
                        + "delete the file to generate a new one");
            }
            return token;
        }
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        String token = HexFormat.of().formatHex(bytes);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, token + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return token;
    }
}
