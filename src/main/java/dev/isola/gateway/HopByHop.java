package dev.isola.gateway;

import java.util.Set;

/** Headers that describe one connection, not the message, and so are never forwarded (RFC 9110 section 7.6.1). */
final class HopByHop {
    private static final Set<String> NAMES = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "content-length", "expect");

    private HopByHop() {
    }

    /** {@code lowerCaseName} must already be lower case (Helidon keeps it so; the upstream parser lowers it). */
    static boolean isLowerCase(String lowerCaseName) {
        return NAMES.contains(lowerCaseName);
    }
}
