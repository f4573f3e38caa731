package dev.isola.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The stable codes of the API's error body ({@link ErrorBody}), for programs, each with the HTTP status it usually
 * comes with. openapi.yaml lists exactly these (a test holds it to that).
 */
public enum ErrorCode {
    /** Malformed HTTP; the status says what was wrong (400, 413, 414, 431). */
    BAD_REQUEST(400),
    UNAUTHORIZED(401),
    NOT_FOUND(404),
    METHOD_NOT_ALLOWED(405),
    FUNCTION_NOT_FOUND(404),
    /** A rollback to a version that is not stored (any more), or with no earlier version to go back to. */
    VERSION_NOT_FOUND(404),
    /** No asynchronous call with this id (it never existed, was cancelled, or was pruned). */
    CALL_NOT_FOUND(404),
    /** The asynchronous call has begun running or has finished: it can no longer be cancelled. */
    CALL_NOT_CANCELLABLE(409),
    /** {@code X-Callback-Url} names a target the operator does not allow ({@code asyncCallbackHosts}). */
    CALLBACK_NOT_ALLOWED(400),
    INVALID_NAME(400),
    INVALID_MANIFEST(400),
    INVALID_ARCHIVE(400),
    NAME_MISMATCH(400),
    /** The manifest asks for what the operator does not allow: a backend below the isolation floor, or egress. */
    NOT_PERMITTED(400),
    ARCHIVE_TOO_LARGE(413),
    BODY_TOO_LARGE(413),
    /** The client was too slow: its request head or body did not arrive in time (the edge's client limits). */
    REQUEST_TIMEOUT(408),
    BUILD_FAILED(422),
    INVALID_PARAMETER(400),
    SATURATED(429),
    INSTANCE_FAILED(502),
    START_FAILED(502),
    UNAVAILABLE(503),
    TIMEOUT(504),
    INTERNAL_ERROR(500);

    private final int status;
    private final String wireName;

    ErrorCode(int status) {
        this.status = status;
        this.wireName = name().toLowerCase(Locale.ROOT);
    }

    public int status() {
        return status;
    }

    /** The code as it appears in the body: {@code function_not_found}. */
    public String wireName() {
        return wireName;
    }

    public static Optional<ErrorCode> fromWire(String code) {
        return Arrays.stream(values()).filter(c -> c.wireName.equals(code)).findFirst();
    }
}
