package dev.isola.admin;

import dev.isola.api.ErrorCode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Bearer-token check in front of {@code /system}. Constant-time comparison, so the token cannot be guessed by timing. */
final class AdminAuth {
    private final byte[] token;

    AdminAuth(String token) {
        this.token = token.getBytes(StandardCharsets.US_ASCII);
    }

    void filter(ServerRequest req, ServerResponse res) {
        String header = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            HttpErrors.send(res, ErrorCode.UNAUTHORIZED, "Missing admin token: send 'Authorization: Bearer <token>'; "
                    + "the token is in the file admin-token in the server's state directory");
            return;
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(given, token)) {
            HttpErrors.send(res, ErrorCode.UNAUTHORIZED, "Wrong admin token");
            return;
        }
        res.next();
    }
}
