package dev.isola.server;

import dev.isola.IsolaException;
import dev.isola.config.IsolaConfig;
import dev.isola.dispatch.Dispatcher;
import dev.isola.dispatch.Readiness;
import dev.isola.dispatch.SandboxLauncher;
import dev.isola.dispatch.Ticker;
import dev.isola.function.ArchiveLimits;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionBuilder;
import dev.isola.function.FunctionService;
import dev.isola.gateway.Gateway;
import dev.isola.logs.FunctionLogs;
import dev.isola.metrics.PrometheusMetrics;
import dev.isola.sandbox.spi.SandboxProvider;
import dev.isola.sandbox.spi.Sandboxes;
import dev.isola.store.Store;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Assembles and runs one Isola: state directory, store, function service, sandboxes, dispatcher and gateway. Start-up
 * order matters: leftovers of a crashed run are reaped before any instance starts, and every stored function is back
 * in the dispatcher before the port opens. {@link #close()} undoes it in reverse.
 */
public final class IsolaServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(IsolaServer.class.getName());

    private final IsolaConfig config;
    private final List<AutoCloseable> owned;
    private final Gateway gateway;
    private final Dispatcher dispatcher;
    private final String adminToken;
    private final String defaultBackend;

    private IsolaServer(IsolaConfig config, List<AutoCloseable> owned, Gateway gateway, Dispatcher dispatcher,
                        String adminToken, String defaultBackend) {
        this.config = config;
        this.owned = owned;
        this.gateway = gateway;
        this.dispatcher = dispatcher;
        this.adminToken = adminToken;
        this.defaultBackend = defaultBackend;
    }

    public static IsolaServer start(IsolaConfig config) {
        return start(config, Sandboxes.load());
    }

    public static IsolaServer start(IsolaConfig config, Sandboxes sandboxes) {
        List<AutoCloseable> owned = new ArrayList<>();
        try {
            Path state = config.stateDir();
            Files.createDirectories(state);
            owned.add(lockStateDir(state));
            String token = AdminToken.readOrCreate(state.resolve("admin-token"));
            Path runDir = state.resolve("run");
            for (SandboxProvider p : sandboxes.all()) {
                p.open(state);
            }
            String backend = BackendChoice.resolve(config.defaultBackend(), sandboxes);
            deleteChildren(runDir);
            Files.createDirectories(runDir);

            owned.add(() -> sandboxes.all().forEach(SandboxProvider::shutdown));
            Store store = Store.open(state.resolve("isola.db"));
            owned.add(store);
            FunctionService functions = FunctionService.create(state, store,
                    FunctionBuilder.create(state.resolve("cache")), ArchiveLimits.DEFAULT);
            FunctionLogs logs = FunctionLogs.create(state.resolve("logs"), config.logMaxBytes());
            Readiness readiness = new Readiness();
            AtomicReference<URI> callbackBase = new AtomicReference<>();
            AtomicReference<Dispatcher> dispatcherRef = new AtomicReference<>();
            PrometheusMetrics metrics = new PrometheusMetrics(() -> dispatcherRef.get() == null ? List.of()
                    : dispatcherRef.get().instances());
            SandboxLauncher launcher = new SandboxLauncher(sandboxes, backend, readiness, callbackBase::get, runDir,
                    logs, config.startTimeout());
            metrics.watchStartsWaiting(launcher::startsWaiting);
            Dispatcher dispatcher = Dispatcher.create(launcher, Ticker.SYSTEM, InstantSource.system(), metrics,
                    config.queueLimit(), Duration.ofSeconds(1));
            dispatcherRef.set(dispatcher);
            owned.add(dispatcher);
            Gateway gateway = Gateway.start(config.host(), config.port(), new Gateway.Parts(dispatcher, readiness,
                    functions, logs, store, metrics, token, config.maxBodyBytes(), config.maxArchiveBytes(),
                    config.gatewayThreads(), config.gatewaySpinMicros()));
            owned.add(gateway);
            callbackBase.set(URI.create("http://127.0.0.1:" + gateway.port()));
            for (DeployedFunction fn : functions.loadAll()) {
                dispatcher.deploy(fn);
            }
            warnIfUnisolated(sandboxes, backend);
            LOG.log(Level.INFO, "isola listening on " + config.host() + ":" + gateway.port() + ", state in " + state
                    + ", default backend " + backend);
            return new IsolaServer(config, owned, gateway, dispatcher, token, backend);
        } catch (IOException | RuntimeException e) {
            closeAll(owned);
            if (e instanceof IsolaException ie) {
                throw ie;
            }
            throw new IsolaException("Failed to start Isola: " + e.getMessage(), e);
        }
    }

    private static void warnIfUnisolated(Sandboxes sandboxes, String backend) {
        sandboxes.find(backend).filter(p -> !p.isolating()).ifPresent(p -> LOG.log(Level.WARNING,
                "default backend '" + backend + "' does NOT isolate functions from the host: use it for development "
                        + "and benchmarks only"));
    }

    private static AutoCloseable lockStateDir(Path state) throws IOException {
        FileChannel channel = FileChannel.open(state.resolve("lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            throw new IsolaException("Failed to start Isola: another Isola is already running with state directory "
                    + state);
        }
        return channel;
    }

    private static void deleteChildren(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> p.toFile().delete());
        }
    }

    public int port() {
        return gateway.port();
    }

    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public String adminToken() {
        return adminToken;
    }

    public String defaultBackend() {
        return defaultBackend;
    }

    public IsolaConfig config() {
        return config;
    }

    /** For tests and tools that look inside; the API is the public way. */
    public Dispatcher dispatcher() {
        return dispatcher;
    }

    @Override
    public void close() {
        closeAll(owned);
    }

    private static void closeAll(List<AutoCloseable> owned) {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "Failed to close " + owned.get(i).getClass().getSimpleName() + ": " + e);
            }
        }
        owned.clear();
    }
}
