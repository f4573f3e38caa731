package dev.isola.cli;

/** The server answered with an error status; {@link #code()} is the stable {@code error} field of its body. */
final class AdminClientException extends CliException {
    private final int status;
    private final String code;

    AdminClientException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }
}
