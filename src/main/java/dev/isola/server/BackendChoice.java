package dev.isola.server;

import dev.isola.config.ConfigException;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.SandboxProvider;
import dev.isola.sandbox.spi.Sandboxes;

import java.util.List;

/** Resolves the configured default backend; {@code auto} takes the strongest isolation this host can run. */
final class BackendChoice {
    /** Strongest isolation first; process is the fallback that always works. */
    static final List<String> PREFERENCE = List.of("microvm", "runsc", "runc", "crun", "process");

    private BackendChoice() {
    }

    static String resolve(String configured, Sandboxes sandboxes) {
        if (!configured.equals("auto")) {
            SandboxProvider p = sandboxes.find(configured).orElseThrow(() -> new ConfigException(
                    "Invalid configuration: 'defaultBackend' names '" + configured + "', which this Isola does not have"));
            Availability a = p.probe();
            if (!a.available()) {
                throw new ConfigException("Invalid configuration: 'defaultBackend' " + configured
                        + " cannot run on this host: " + a.detail());
            }
            return configured;
        }
        for (String type : PREFERENCE) {
            var found = sandboxes.find(type);
            if (found.isPresent() && found.get().suitableAsDefault() && found.get().probe().available()) {
                return type;
            }
        }
        throw new ConfigException("No sandbox backend can run on this host; run 'isola doctor' to see why");
    }
}
