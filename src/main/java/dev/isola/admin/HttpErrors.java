package dev.isola.admin;

import dev.isola.api.ErrorBody;
import dev.isola.api.ErrorCode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

/** Sends the API's error body from the control plane. */
final class HttpErrors {
    private HttpErrors() {
    }

    static void send(ServerResponse res, ErrorCode code, String message) {
        send(res, code.status(), code, message);
    }

    static void send(ServerResponse res, int status, ErrorCode code, String message) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(ErrorBody.json(code, message));
    }
}
