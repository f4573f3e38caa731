package dev.isola.server;

import dev.isola.config.TrustPolicy;
import dev.isola.function.DeployPolicy;
import dev.isola.function.InvalidFunctionException;
import dev.isola.function.Manifest;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.Sandboxes;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's trust policy applied to deploys: a manifest may name any backend at or above the isolation floor and
 * may ask for egress only where the operator allows egress. The platform serves only such backends
 * ({@link Sandboxes#atLeast}), so a function stored before the floor was raised does not start either. A backend this
 * host cannot run (its runtime not installed, say) is refused at deploy with the reason {@code isola doctor} gives,
 * instead of failing every call; each backend is probed once, at its first deploy. So is {@code scaling.standby} on
 * a backend that keeps no sandboxes on standby.
 */
final class IsolationFloor implements DeployPolicy {
    private final TrustPolicy policy;
    private final Isolation floor;
    private final Sandboxes all;
    private final String defaultBackend;
    private final Map<String, Availability> probed = new ConcurrentHashMap<>();

    IsolationFloor(TrustPolicy policy, Sandboxes all, String defaultBackend) {
        this.policy = policy;
        this.floor = Isolation.ofFloor(policy.isolationFloor());
        this.all = all;
        this.defaultBackend = defaultBackend;
    }

    @Override
    public void check(Manifest manifest) {
        String backend = manifest.backend().orElse(defaultBackend);
        Sandboxes.Entry entry = all.entries().stream().filter(e -> e.type().equals(backend)).findFirst()
                .orElseThrow(() -> new InvalidFunctionException("invalid_manifest",
                        "backend '" + backend + "' is not a backend of this Isola"));
        Availability availability = probed.computeIfAbsent(backend, b -> entry.backend().probe());
        if (!availability.runs()) {
            throw new InvalidFunctionException("invalid_manifest", "backend '" + backend + "' cannot run on this "
                    + "host: " + availability.describe() + " (see isola doctor)");
        }
        if (manifest.scaling().standby() > 0 && !entry.backend().offersStandby()) {
            throw new InvalidFunctionException("invalid_manifest", "scaling.standby: backend '" + backend + "' keeps "
                    + "no sandboxes on standby (runc, crun and runsc do)");
        }
        Isolation isolation = entry.isolation();
        if (isolation.compareTo(floor) < 0) {
            throw new InvalidFunctionException("not_permitted", "backend '" + backend + "' isolates at level '"
                    + isolation.floorName() + "', below this Isola's isolation floor '" + floor.floorName()
                    + "' (set by the operator: isolationFloor); choose a backend at or above it");
        }
        if (manifest.egress() && !policy.allowEgress()) {
            throw new InvalidFunctionException("not_permitted", "egress: true is not allowed on this Isola (the "
                    + "operator turns it on with allowEgress)");
        }
    }
}
