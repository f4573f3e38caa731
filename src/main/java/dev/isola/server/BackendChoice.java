package dev.isola.server;

import dev.isola.config.ConfigException;
import dev.isola.config.TrustPolicy;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.Sandboxes;

import java.util.Comparator;

/**
 * Resolves the configured default backend; {@code auto} takes the one with the strongest isolation that runs well
 * on this host ({@link Availability.Ready}; a backend that runs only slowly here is never the default), and among
 * equals the first in the order of the service files (runc before crun). {@code process} always runs.
 */
final class BackendChoice {
    private BackendChoice() {
    }

    /** {@code serving}: the backends at or above the isolation floor of {@code trust}. */
    static String resolve(String configured, Sandboxes serving, TrustPolicy trust) {
        if (!configured.equals("auto")) {
            SandboxBackend backend = serving.find(configured).orElseThrow(() -> new ConfigException(
                    "Invalid configuration: 'defaultBackend' names '" + configured + "', which this Isola does not "
                            + "have at or above its isolation floor '" + trust.isolationFloor() + "'"));
            if (backend.probe() instanceof Availability.Unavailable no) {
                throw new ConfigException("Invalid configuration: 'defaultBackend' " + configured
                        + " cannot run on this host: " + no.reason());
            }
            return configured;
        }
        return serving.entries().stream()
                .sorted(Comparator.comparing(Sandboxes.Entry::isolation).reversed())
                .filter(e -> e.backend().probe() instanceof Availability.Ready)
                .map(Sandboxes.Entry::type)
                .findFirst()
                .orElseThrow(() -> new ConfigException("No sandbox backend at or above the isolation floor '"
                        + trust.isolationFloor() + "' can run on this host; run 'isola doctor' to see why"));
    }
}
