package dev.isola.gateway;

/**
 * The largest request body a route takes, and the setting that says so (named in the 413's message, so the caller
 * or the operator knows which one to change).
 */
record BodyLimit(long bytes, String setting) {
    /** The lower of two limits: an asynchronous call is bound by {@code maxBodyBytes} and its own. */
    static BodyLimit lower(BodyLimit a, BodyLimit b) {
        return a.bytes <= b.bytes ? a : b;
    }

    String exceeded() {
        return "Request body exceeds the limit of " + bytes + " bytes (" + setting + ")";
    }

    String declaredOver(long declared) {
        return "Request body of " + declared + " bytes exceeds the limit of " + bytes + " bytes (" + setting + ")";
    }
}
