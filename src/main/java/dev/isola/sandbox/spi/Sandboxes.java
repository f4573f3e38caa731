package dev.isola.sandbox.spi;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/** The registry of sandbox providers, found through {@link ServiceLoader}. */
public final class Sandboxes {
    private final Map<String, SandboxProvider> byType;

    private Sandboxes(Map<String, SandboxProvider> byType) {
        this.byType = Collections.unmodifiableMap(byType);
    }

    public static Sandboxes load() {
        return of(ServiceLoader.load(SandboxProvider.class).stream().map(ServiceLoader.Provider::get).toList());
    }

    public static Sandboxes of(Collection<SandboxProvider> providers) {
        Map<String, SandboxProvider> map = new LinkedHashMap<>();
        for (SandboxProvider p : providers) {
            SandboxProvider previous = map.putIfAbsent(p.type(), p);
            if (previous != null) {
                throw new IllegalStateException("Failed to load sandbox providers: type '" + p.type()
                        + "' is provided by both " + previous.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        return new Sandboxes(map);
    }

    public Optional<SandboxProvider> find(String type) {
        return Optional.ofNullable(byType.get(type));
    }

    public Collection<SandboxProvider> all() {
        return byType.values();
    }
}
