package dev.isola.async;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * What tells the platform's own attempts of an asynchronous call from other calls of a function. Attempts go through
 * the public edge, as any call, with {@value #CALL_ID} and {@value #ATTEMPT}; a caller could send those as well, and
 * a function that deduplicates on its call id or counts attempts would take a forged one for the platform's. So each
 * attempt also carries {@value #MARK} with a secret of this run, and the edge keeps the two headers only on a request
 * that carries it, and drops the mark itself before the function sees it.
 */
public final class AttemptMark {
    public static final String CALL_ID = "X-Call-Id";
    public static final String ATTEMPT = "X-Isola-Attempt";
    public static final String MARK = "X-Isola-Attempt-Mark";

    private final byte[] secret;

    private AttemptMark(byte[] secret) {
        this.secret = secret;
    }

    /** A secret of its own, made at random: one per run of the server. */
    public static AttemptMark random() {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return new AttemptMark(HexFormat.of().formatHex(bytes).getBytes(StandardCharsets.US_ASCII));
    }

    /** The value an attempt sends in {@value #MARK}. */
    String value() {
        return new String(secret, StandardCharsets.US_ASCII);
    }

    /** Whether {@code mark} (the value of {@value #MARK}, if any) is this run's: in constant time. */
    public boolean ours(String mark) {
        return mark != null && MessageDigest.isEqual(secret, mark.getBytes(StandardCharsets.US_ASCII));
    }
}
