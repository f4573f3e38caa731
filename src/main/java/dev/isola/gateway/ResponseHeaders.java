package dev.isola.gateway;

import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Header names of proxied responses, created once: Helidon lower-cases and validates a name on every
 * {@code HeaderNames.create}, which showed up in the proxy's profile. Functions send few distinct names, so the cache
 * stays small; it is bounded anyway against a function that invents names.
 */
final class ResponseHeaders {
    static final HeaderName INSTANCE = HeaderNames.create("X-Isola-Instance");
    static final Header COLD = HeaderValues.createCached("X-Isola-Cold-Start", "true");
    static final Header WARM = HeaderValues.createCached("X-Isola-Cold-Start", "false");
    private static final int MAX_CACHED = 1024;
    private static final Map<String, HeaderName> NAMES = new ConcurrentHashMap<>();

    private ResponseHeaders() {
    }

    static HeaderName name(String name) {
        HeaderName cached = NAMES.get(name);
        if (cached != null) {
            return cached;
        }
        HeaderName created = HeaderNames.create(name);
        if (NAMES.size() < MAX_CACHED) {
            NAMES.put(name, created);
        }
        return created;
    }
}
