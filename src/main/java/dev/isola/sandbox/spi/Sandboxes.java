package dev.isola.sandbox.spi;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Function;

/** The backends of one platform run, by type, created from the providers {@link ServiceLoader} finds. */
public final class Sandboxes {
    /**
     * One backend with what its provider says of it.
     *
     * @param declared the provider's isolation, what the backend gives on a host that has all it needs
     */
    public record Entry(String type, Isolation declared, SandboxBackend backend) {
        /** The isolation on this host: the declared one, or the weaker one the backend reports here (may probe). */
        public Isolation isolation() {
            return backend.reducedIsolation().filter(r -> r.compareTo(declared) < 0).orElse(declared);
        }
    }

    private final Map<String, Entry> byType;

    private Sandboxes(Map<String, Entry> byType) {
        this.byType = Collections.unmodifiableMap(byType);
    }

    /** Every provider on the class path, in the order of their service files; a duplicate type fails. */
    public static List<SandboxProvider> providers() {
        List<SandboxProvider> all = ServiceLoader.load(SandboxProvider.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        Map<String, SandboxProvider> seen = new LinkedHashMap<>();
        for (SandboxProvider p : all) {
            SandboxProvider previous = seen.putIfAbsent(p.type(), p);
            if (previous != null) {
                throw new IllegalStateException("Failed to load sandbox providers: type '" + p.type()
                        + "' is provided by both " + previous.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        return all;
    }

    /** A backend of each provider, each created with the context {@code contexts} gives it. */
    public static Sandboxes create(List<SandboxProvider> providers,
                                   Function<SandboxProvider, SandboxContext> contexts) {
        Map<String, Entry> map = new LinkedHashMap<>();
        for (SandboxProvider p : providers) {
            if (map.containsKey(p.type())) {
                throw new IllegalStateException("Failed to create sandbox backends: type '" + p.type() + "' twice");
            }
            map.put(p.type(), new Entry(p.type(), p.isolation(), p.create(contexts.apply(p))));
        }
        return new Sandboxes(map);
    }

    public Optional<SandboxBackend> find(String type) {
        return Optional.ofNullable(byType.get(type)).map(Entry::backend);
    }

    /** The backends that isolate at least as strongly as {@code floor}: those a platform may run functions on. */
    public Sandboxes atLeast(Isolation floor) {
        Map<String, Entry> kept = new LinkedHashMap<>();
        byType.forEach((type, entry) -> {
            if (entry.isolation().compareTo(floor) >= 0) {
                kept.put(type, entry);
            }
        });
        return new Sandboxes(kept);
    }

    /** Every backend, in the order of the providers' service files. */
    public Collection<Entry> entries() {
        return byType.values();
    }
}
