package dev.isola.server;

import dev.isola.Ticker;
import dev.isola.config.IsolaConfig;
import dev.isola.function.HostPython;
import dev.isola.host.ProcessRunner;
import dev.isola.net.AddressAllocator;
import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.Sandboxes;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The sandbox backends of a configuration as seen from this host, without a server: what {@code isola doctor}
 * reports and what {@code isola up} and {@code isola bench} prepare. Creating them changes nothing on the host.
 */
public final class HostBackends {
    private final Sandboxes sandboxes;
    private final ProcessRunner runner;

    private HostBackends(Sandboxes sandboxes, ProcessRunner runner) {
        this.sandboxes = sandboxes;
        this.runner = runner;
    }

    public static HostBackends of(IsolaConfig config) {
        ProcessRunner runner = ProcessRunner.create(config.executables());
        InstanceNetwork network = InstanceNetwork.create(new AddressAllocator(InstanceNetwork.SUBNET), runner,
                Ticker.SYSTEM, config.stateDir(), 0, config.firewallCheckInterval(), config.trust().egressPrivateRanges());
        return new HostBackends(sandboxes(config, runner, network, Ticker.SYSTEM), runner);
    }

    /** The backends of a platform run on {@code config}, each created with its own section of the configuration. */
    static Sandboxes sandboxes(IsolaConfig config, ProcessRunner runner, InstanceNetwork network, Ticker ticker) {
        return Sandboxes.create(Sandboxes.providers(), p -> new SandboxContext(config.sandbox(p.type()),
                config.stateDir(), config.cacheDir(), network, runner, ticker));
    }

    /**
     * One backend as this host sees it, in words.
     *
     * @param isolation the level it gives on this host ({@code none}, {@code container}, {@code sandbox},
     *                  {@code vm}): a microVM under software emulation gives less than under KVM
     * @param state {@code available}, {@code slow} (runs only in a fallback mode here) or {@code unavailable}
     * @param detail what runs, or why it cannot
     */
    public record BackendReport(String type, boolean isolating, String isolation, String state, String detail,
                                List<String> diagnostics) {
        public boolean runs() {
            return !state.equals("unavailable");
        }
    }

    /** Every backend with its availability and, for those that run, the deeper checks (slow: seconds each). */
    public List<BackendReport> reports() {
        return sandboxes.entries().stream().map(HostBackends::report).toList();
    }

    /** One backend's report, if this Isola has that backend. */
    public Optional<BackendReport> report(String type) {
        return sandboxes.entries().stream().filter(e -> e.type().equals(type)).findFirst().map(HostBackends::report);
    }

    private static BackendReport report(Sandboxes.Entry entry) {
        Availability a = entry.backend().probe();
        String state = switch (a) {
            case Availability.Ready ready -> "available";
            case Availability.Slow slow -> "slow";
            case Availability.Unavailable no -> "unavailable";
        };
        Isolation isolation = a.runs() ? entry.isolation() : entry.declared();
        return new BackendReport(entry.type(), isolation.isolating(), isolation.floorName(), state, a.describe(),
                a.runs() ? entry.backend().diagnostics() : List.of());
    }

    /** One backend's own probe, if this Isola has that backend. */
    public Optional<Availability> availability(String type) {
        return sandboxes.find(type).map(SandboxBackend::probe);
    }

    /** The types of the backends that run on this host. */
    public List<String> runnable() {
        return sandboxes.entries().stream().filter(e -> e.backend().probe().runs()).map(Sandboxes.Entry::type)
                .toList();
    }

    /**
     * Builds what the first instances of the backends {@code types} would otherwise wait for (a guest kernel), with
     * progress lines.
     */
    public void prepare(Collection<String> types, Consumer<String> progress) {
        sandboxes.entries().stream().filter(e -> types.contains(e.type())).forEach(e -> e.backend().prepare(progress));
    }

    /** Where a host tool is, if it is installed. */
    public Optional<Path> tool(String name) {
        return runner.executables().find(name);
    }

    /** The Python that would serve {@code runtime: python} functions, if the host has one with waitress. */
    public Optional<HostPython> python() {
        return HostPython.find(runner);
    }
}
