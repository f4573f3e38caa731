package dev.isola.server;

import dev.isola.IsolaException;
import dev.isola.Ticker;
import dev.isola.admin.ControlPlane;
import dev.isola.admin.Deployments;
import dev.isola.async.AsyncCalls;
import dev.isola.config.AdminListener;
import dev.isola.config.ClientConfig;
import dev.isola.config.IsolaConfig;
import dev.isola.config.TrustPolicy;
import dev.isola.dispatch.Dispatcher;
import dev.isola.dispatch.EndpointProbe;
import dev.isola.dispatch.NodeBudget;
import dev.isola.dispatch.Readiness;
import dev.isola.dispatch.SandboxLauncher;
import dev.isola.function.ArchiveLimits;
import dev.isola.function.FunctionBuilder;
import dev.isola.function.FunctionService;
import dev.isola.gateway.ClientLimits;
import dev.isola.gateway.EdgeLoops;
import dev.isola.gateway.Gateway;
import dev.isola.host.FileTrees;
import dev.isola.host.ProcessRunner;
import dev.isola.logs.FunctionLogs;
import dev.isola.metrics.Metrics;
import dev.isola.metrics.PrometheusMetrics;
import dev.isola.net.AddressAllocator;
import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.ConsoleReader;
import dev.isola.sandbox.spi.OomScore;
import dev.isola.sandbox.spi.ParentCgroup;
import dev.isola.sandbox.spi.Sandboxes;
import dev.isola.store.Store;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Assembles and runs one Isola: state directory, store, function service, sandboxes, dispatcher, control plane and
 * gateway. Start-up order matters: leftovers of a crashed run are reaped before any instance starts, and every
 * stored function is back in the dispatcher before the port opens. {@link #close()} undoes it in reverse: the
 * gateway stops listening, the dispatcher drains and stops every instance, and only then do the shared host
 * resources (event loops, the backends' shared state, the network) go. Calls in flight finish meanwhile (up to
 * {@code drainTimeout}): the loops and their connections stay until the dispatcher has drained.
 */
public final class IsolaServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(IsolaServer.class.getName());
    /** How often idle and dead instances are reaped. */
    private static final Duration HOUSEKEEPING = Duration.ofSeconds(1);

    private final IsolaConfig config;
    private final List<AutoCloseable> owned;
    private final Gateway gateway;
    private final ControlPlane controlPlane;
    private final Dispatcher dispatcher;
    private final AsyncCalls async;
    private final String adminToken;
    private final String defaultBackend;

    private IsolaServer(IsolaConfig config, List<AutoCloseable> owned, Gateway gateway, ControlPlane controlPlane,
                        Dispatcher dispatcher, AsyncCalls async, String adminToken, String defaultBackend) {
        this.config = config;
        this.owned = owned;
        this.gateway = gateway;
        this.controlPlane = controlPlane;
        this.dispatcher = dispatcher;
        this.async = async;
        this.adminToken = adminToken;
        this.defaultBackend = defaultBackend;
    }

    public static IsolaServer start(IsolaConfig config) {
        List<AutoCloseable> owned = new ArrayList<>();
        Ticker ticker = Ticker.SYSTEM;
        InstantSource clock = InstantSource.system();
        try {
            Path state = config.stateDir();
            Files.createDirectories(state);
            // The database holds manifests with their env (secrets), VM images carry the same, logs what functions
            // printed: no other user of the host reads any of it.
            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
            owned.add(lockStateDir(state));
            String token = AdminToken.readOrCreate(state.resolve("admin-token"));
            ProcessRunner runner = ProcessRunner.create(config.executables());
            InstanceNetwork network = InstanceNetwork.create(new AddressAllocator(InstanceNetwork.SUBNET), runner,
                    ticker, state, config.spareNetworks(), config.firewallCheckInterval(),
                    config.trust().egressPrivateRanges());
            owned.add(network);
            Sandboxes sandboxes = HostBackends.sandboxes(config, runner, network, ticker);
            network.reapLeftovers();
            sandboxes.entries().forEach(e -> e.backend().reapLeftovers());
            NodeBudget budget = NodeBudget.forHost(config.node().maxInstances(), config.node().memoryBytes());
            LOG.log(Level.INFO, "node budget: " + budget.use().maxInstances() + " instances, "
                    + (budget.use().maxMemoryBytes() >> 20) + " MiB of memory limits (nodeMaxInstances, nodeMemory)");
            // After reaping (on v1 a limit below what a crashed run's sandboxes still use fails); closed after the
            // backends' shutdown, once nothing is left in it.
            owned.add(ParentCgroup.limit(budget.use().maxMemoryBytes()));
            if (!OomScore.lowerPlatform()) {
                LOG.log(Level.INFO, "oom_score_adj of Isola's JVM left as it is: lowering it needs "
                        + "CAP_SYS_RESOURCE, which this process lacks (the service unit sets it instead)");
            }
            owned.add(() -> sandboxes.entries().forEach(e -> e.backend().shutdown()));
            Sandboxes serving = sandboxes.atLeast(Isolation.ofFloor(config.trust().isolationFloor()));
            String backend = BackendChoice.resolve(config.defaultBackend(), serving, config.trust());
            Path runDir = state.resolve("run");
            FileTrees.deleteChildren(runDir); // the records of the sandboxes just reaped go last
            Files.createDirectories(runDir);

            Store store = Store.open(state.resolve("isola.db"));
            owned.add(store);
            FunctionService functions = FunctionService.create(state, store,
                    FunctionBuilder.create(runner, config.cacheDir(), state, TrustPolicy.runningAsRoot()), ArchiveLimits.DEFAULT,
                    new IsolationFloor(config.trust(), sandboxes, backend).and(budget.fitsOneInstance()));
            FunctionLogs logs = FunctionLogs.create(state.resolve("logs"), config.logMaxBytes());
            owned.add(logs); // closed after the dispatcher, whose instances write to it
            Readiness readiness = new Readiness();
            AtomicReference<URI> callbackBase = new AtomicReference<>();
            PrometheusMetrics metrics = new PrometheusMetrics();
            metrics.watchFirewallRestores(network::firewallRestores);
            metrics.watchDroppedInvocationRecords(store::droppedInvocations);
            ConsoleReader consoles = ConsoleReader.start();
            owned.add(consoles); // closed after the dispatcher, which stops the instances writing to them
            SandboxLauncher launcher = new SandboxLauncher(new SandboxLauncher.Parts(serving, backend, readiness,
                    callbackBase::get, runDir, logs, consoles, config.startTimeout(), config.startAdmission(), ticker,
                    metrics, config.trust().allowEgress()));
            EdgeLoops loops = EdgeLoops.create(config.gatewayThreads(), config.gatewaySpinMicros(), config.gatewayTransport(),
                    ticker);
            owned.add(loops);
            metrics.watchNodeBudget(() -> {
                NodeBudget.Use u = budget.use();
                return new Metrics.Budget(u.instances(), u.memoryBytes(), u.maxInstances(), u.maxMemoryBytes());
            });
            Dispatcher dispatcher = Dispatcher.create(new Dispatcher.Parts(launcher, ticker, clock, metrics,
                    config.queueLimit(), HOUSEKEEPING, loops, EndpointProbe.CONNECT, config.drainTimeout(), budget));
            owned.add(dispatcher);
            Deployments deployments = new Deployments(functions, dispatcher, logs);
            AtomicReference<InetSocketAddress> adminAddress = new AtomicReference<>(
                    new InetSocketAddress(config.admin().host(), config.admin().port()));
            AsyncCalls async = AsyncCalls.create(new AsyncCalls.Parts(store.calls(), config.async(),
                    callbackBase::get, adminAddress::get,
                    name -> dispatcher.serving(name).map(f -> f.manifest().async()), metrics, clock,
                    config.drainTimeout()));
            Gateway gateway = Gateway.start(config.host(), config.port(), loops, new Gateway.Parts(dispatcher, async,
                    readiness, store, (name, line) -> logs.sink(name, "isola").line(line), metrics, config.maxBodyBytes(), clientLimits(config.clients()), ticker, clock));
            owned.add(gateway);
            owned.add(async); // stops before the gateway: its attempts in flight go through it
            callbackBase.set(URI.create("http://127.0.0.1:" + gateway.port()));
            deployments.restoreAll();
            async.run(); // once every stored function is served: its attempts need them
            // Last: the admin API takes deploys only once the stored functions are served again.
            ControlPlane controlPlane = ControlPlane.start(new ControlPlane.Parts(deployments, store, async, metrics,
                    token, config.maxArchiveBytes(), config.admin().host(), config.admin().port(),
                    config.admin().tls().map(t -> new ControlPlane.TlsFiles(t.certChain(), t.privateKey()))));
            owned.add(controlPlane);
            adminAddress.set(new InetSocketAddress(config.admin().host(), controlPlane.port()));
            warnIfUnisolated(sandboxes, backend, config.trust());
            warnIfAdminInClear(config.admin(), controlPlane.port());
            OpenFiles.describeRoom().ifPresent(room -> LOG.log(Level.INFO, room));
            LOG.log(Level.INFO, "isola listening on " + config.host() + ":" + gateway.port() + " (functions), "
                    + config.admin().host() + ":" + controlPlane.port() + " (admin API, /metrics), state in " + state
                    + ", default backend " + backend);
            return new IsolaServer(config, owned, gateway, controlPlane, dispatcher, async, token, backend);
        } catch (IOException | RuntimeException e) {
            closeAll(owned);
            if (e instanceof IsolaException ie) {
                throw ie;
            }
            throw new IsolaException("Failed to start Isola: " + e.getMessage(), e);
        }
    }

    private static ClientLimits clientLimits(ClientConfig c) {
        return new ClientLimits(c.headerTimeout(), c.keepAliveTimeout(), c.minBodyRate(),
                ClientLimits.DEFAULT_BODY_RATE_GRACE, c.maxClientConnections());
    }

    private static void warnIfUnisolated(Sandboxes sandboxes, String backend, TrustPolicy trust) {
        sandboxes.entries().stream().filter(e -> e.type().equals(backend) && !e.isolation().isolating())
                .findFirst().ifPresent(e -> LOG.log(Level.WARNING,
                "default backend '" + backend + "' does NOT isolate functions from the host: use it for development "
                        + "and benchmarks only"));
        if (trust.isolationFloor().equals("none")) {
            LOG.log(Level.WARNING, "isolation floor 'none': a function's manifest may choose the process backend, "
                    + "which runs its code on the host" + (TrustPolicy.runningAsRoot() ? ""
                    : " (Isola is not running as root, where only the process backend works)"));
        }
    }

    /**
     * The admin API off loopback without TLS: every CLI command then sends the token across that network in clear,
     * and anyone on it reads {@code /metrics}. Allowed (a private management network, a TLS proxy in front), said.
     */
    private static void warnIfAdminInClear(AdminListener admin, int port) {
        if (admin.tls().isEmpty() && !loopback(admin.host())) {
            LOG.log(Level.WARNING, "the admin API listens on " + admin.host() + ":" + port + " over plain HTTP: the "
                    + "admin token crosses that network in clear; give it TLS (adminTlsCert, adminTlsKey) or keep it "
                    + "on loopback (adminHost: 127.0.0.1)");
        }
    }

    private static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
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

    /**
     * Cuts a {@link #close()} in progress short (a second SIGTERM): calls still running are not waited for any more;
     * their instances are stopped, so nothing is left behind.
     */
    public void cutDrainShort() {
        async.cutShort();
        dispatcher.cutDrainShort();
    }

    public int port() {
        return gateway.port();
    }

    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** Where the admin API and {@code /metrics} answer, from this host. */
    public URI adminUri() {
        String host = config.admin().host();
        String reachable = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1"
                : host.contains(":") ? "[" + host + "]" : host;
        return URI.create((controlPlane.secure() ? "https://" : "http://") + reachable + ":" + controlPlane.port());
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
    public AsyncCalls async() {
        return async;
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
