package dev.isola.testing;

import dev.isola.Ticker;
import dev.isola.config.ConfigLoader;
import dev.isola.config.IsolaConfig;
import dev.isola.host.Executables;
import dev.isola.host.ProcessRunner;
import dev.isola.config.Section;
import dev.isola.net.AddressAllocator;
import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;
import dev.isola.sandbox.spi.Sandboxes;
import dev.isola.server.HostBackends;

import java.util.List;
import java.nio.file.Path;
import java.util.Map;

/** This host as tests see it: the process runner, and whether a sandbox backend runs here. */
public final class TestHost {
    private static final ProcessRunner RUNNER = ProcessRunner.create(
            Executables.fromPath(ConfigLoader.environment("PATH")));

    private TestHost() {
    }

    public static ProcessRunner runner() {
        return RUNNER;
    }

    /**
     * A backend of this Isola created as a server on {@code stateDir} would create it, with {@code settings} as its
     * configuration section; its network is the one shared on that state directory.
     */
    public static SandboxBackend backend(String type, Path stateDir, Map<String, String> settings) {
        InstanceNetwork network = InstanceNetwork.create(new AddressAllocator(InstanceNetwork.SUBNET), RUNNER,
                Ticker.SYSTEM, stateDir, 0, IsolaConfig.DEFAULT_FIREWALL_CHECK, List.of());
        SandboxProvider provider = Sandboxes.providers().stream().filter(p -> p.type().equals(type)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no backend " + type));
        return provider.create(new SandboxContext(new Section("sandbox." + type, settings), stateDir,
                stateDir.resolve("cache"), network, RUNNER, Ticker.SYSTEM));
    }

    /** The backend's own probe, with the build cache the test servers share (the minimal kernel lives there). */
    public static Availability probe(String backend) {
        return HostBackends.of(IsolaConfig.defaults().withBuildCache(TestIsola.sharedCacheDir())).availability(backend)
                .orElse(new Availability.Unavailable(backend + " is not a backend of this Isola"));
    }
}
