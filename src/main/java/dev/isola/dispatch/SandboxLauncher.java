package dev.isola.dispatch;

import dev.isola.Ticker;
import dev.isola.function.DeployedFunction;
import dev.isola.function.Limits;
import dev.isola.host.FileTrees;
import dev.isola.host.OpenFileLimit;
import dev.isola.logs.FunctionLogs;
import dev.isola.metrics.Metrics;
import dev.isola.sandbox.spi.Console;
import dev.isola.sandbox.spi.ConsoleReader;
import dev.isola.sandbox.spi.Instance;
import dev.isola.sandbox.spi.InstanceSpec;
import dev.isola.sandbox.spi.OutputSink;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.Sandboxes;
import dev.isola.sandbox.spi.Standby;
import dev.isola.sandbox.spi.StartKind;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Starts instances through the sandbox providers and waits until they serve.
 *
 * <p>Readiness: the instance gets {@code ISOLA_READY_URL}; while waiting for that callback the launcher also probes
 * the endpoint with TCP connects (backoff from {@value #FIRST_PROBE_MICROS} µs doubling to
 * {@value #MAX_PROBE_MILLIS} ms — fine-grained because a process instance is up in a few milliseconds; coarser while
 * many starts are in flight or the start has already taken long), so unmodified HTTP servers that never call back
 * are ready as soon as they accept (the probe of a call keeps that connection for the call, {@link EndpointProbe}).
 * A sandbox that exits while starting fails fast with its exit reason and last output lines; one that is silent past
 * the start timeout is stopped. Either way nothing is left behind.
 *
 * <p>While the CPU is saturated, starts beyond one per core wait their turn ({@link StartAdmission}).
 */
public final class SandboxLauncher implements Launcher {
    private static final long FIRST_PROBE_MICROS = 250;
    /**
     * 1 ms, the paper harness' polling period: a cap of 25 ms cost runc cold starts (~60 ms) 10 ms on average
     * (measured with bench/container-coldstart.sh); a refused connect costs microseconds.
     */
    private static final long MAX_PROBE_MILLIS = 1;
    /**
     * The cap grows with the starts in flight (1 ms per {@value #STARTS_PER_PROBE_MILLI} of them, at most
     * {@value #MAX_BUSY_PROBE_MILLIS} ms), so that a burst of n starts probes about 2,000 times a second in all
     * instead of n * 1,000: during a burst every core is busy starting sandboxes, and the probes' CPU would slow all
     * of them, while a few ms of detection delay is lost in a burst's hundreds of milliseconds.
     */
    private static final int STARTS_PER_PROBE_MILLI = 2;
    /**
     * Nor does a probe come more often than every 1/{@value #WAITED_PER_PROBE} of the time waited so far: a start
     * that has taken 400 ms (gVisor in a burst) is probed every 20 ms, one of a few ms every 1 ms, so detection adds
     * about the same small fraction to every start, and slow sandboxes are not probed hundreds of times each.
     */
    private static final int WAITED_PER_PROBE = 20;
    private static final long MAX_BUSY_PROBE_MILLIS = 20;
    private static final int OUTPUT_LINES_IN_ERRORS = 20;
    private static final int OUTPUT_BYTES_IN_ERRORS = 4096;
    private static final long QUIET_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How long after the last start a standby sandbox is made: that start's call is usually still being answered. */
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Sandboxes sandboxes;
    private final String defaultBackend;
    private final Readiness readiness;
    private final Supplier<URI> callbackBase;
    private final Path runDir;
    private final FunctionLogs logs;
    private final ConsoleReader consoles;
    private final Duration startTimeout;
    private final Ticker ticker;
    private final boolean allowEgress;
    private final AtomicInteger startsInFlight = new AtomicInteger();
    /** Starts from their beginning to their end (admission, sandbox, readiness): standby creation waits for 0. */
    private final AtomicInteger launching = new AtomicInteger();
    private volatile long lastLaunchEnded;
    private final StartAdmission admission;

    /**
     * What the launcher is made of.
     *
     * @param callbackBase   where the gateway listens, known once it does: the base of the readiness callback URLs
     * @param runDir         under which each instance gets its work directory
     * @param consoles       reads what the instances print into their functions' logs
     * @param startAdmission {@code cpu-pressure} or {@code off} ({@link StartAdmission})
     */
    /** {@code allowEgress}: the operator's, applied at each start too, so a function stored before it went off. */
    public record Parts(Sandboxes sandboxes, String defaultBackend, Readiness readiness, Supplier<URI> callbackBase,
                        Path runDir, FunctionLogs logs, ConsoleReader consoles, Duration startTimeout,
                        String startAdmission, Ticker ticker, Metrics metrics, boolean allowEgress) {
    }

    public SandboxLauncher(Parts parts) {
        this.sandboxes = parts.sandboxes();
        this.defaultBackend = parts.defaultBackend();
        this.readiness = parts.readiness();
        this.callbackBase = parts.callbackBase();
        this.runDir = parts.runDir();
        this.logs = parts.logs();
        this.consoles = parts.consoles();
        this.startTimeout = parts.startTimeout();
        this.ticker = parts.ticker();
        this.allowEgress = parts.allowEgress();
        this.lastLaunchEnded = ticker.nanos() - QUIET_NANOS;
        this.admission = StartAdmission.forHost(parts.startAdmission(), parts.ticker());
        parts.metrics().watchStartsWaiting(admission::waiting);
    }

    @Override
    public String backend(DeployedFunction function) {
        return function.manifest().backend().orElse(defaultBackend);
    }

    @Override
    public Instance launch(DeployedFunction function, String instanceId, EndpointProbe probe) {
        SandboxBackend provider = provider(function);
        Workspace workspace = workspace(function, instanceId);
        Readiness.Ticket ticket = readiness.expect(instanceId);
        AtomicBoolean admitted = new AtomicBoolean();
        try {
            return startAndAwait(function, instanceId, workspace, ticket, probe, () -> {
                InstanceSpec spec = spec(function, workspace, ticket);
                Duration turn = admissionWait(startTimeout, function.manifest().limits());
                if (!admit(function, turn)) {
                    throw new StartFailedException("fn=" + function.name() + " inst=" + instanceId + ": not started "
                            + "within " + turn.toSeconds() + " s: the host's CPU is saturated and "
                            + admission.waiting() + " other starts wait their turn (startAdmission, startTimeout, "
                            + "limits.timeout)");
                }
                admitted.set(true);
                return provider.start(spec);
            });
        } finally {
            if (admitted.get()) {
                admission.finished();
            }
        }
    }

    /**
     * Starts the sandbox ({@code start}) and waits until it serves; on failure stops what started and removes the
     * workspace. Counted in {@link #launching} throughout.
     */
    private Instance startAndAwait(DeployedFunction function, String instanceId, Workspace workspace,
                                   Readiness.Ticket ticket, EndpointProbe probe, Supplier<Instance> start) {
        Instance instance = null;
        launching.incrementAndGet();
        try {
            instance = start.get();
            return ready(instance, workspace, ticket, function, probe);
        } catch (RuntimeException e) {
            if (instance != null) {
                instance.close();
            }
            workspace.remove();
            throw failure(function, instanceId, e);
        } finally {
            launching.decrementAndGet();
            lastLaunchEnded = ticker.nanos();
            readiness.forget(instanceId);
        }
    }

    @Override
    public boolean offersStandby(DeployedFunction function) {
        return sandboxes.find(backend(function)).map(SandboxBackend::offersStandby).orElse(false);
    }

    /**
     * Waits until no start is in flight or waiting for admission, so that a sandbox made ahead of need never
     * competes with a burst for the CPU, then creates it.
     */
    @Override
    public Prepared standby(DeployedFunction function, String instanceId) {
        SandboxBackend provider = provider(function);
        while (launching.get() > 0 || admission.waiting() > 0 || ticker.nanos() - lastLaunchEnded < QUIET_NANOS) {
            LockSupport.parkNanos(QUIET_POLL_NANOS);
            if (Thread.currentThread().isInterrupted()) {
                throw new StartFailedException("fn=" + function.name() + ": interrupted before a standby sandbox");
            }
        }
        Workspace workspace = workspace(function, instanceId);
        Readiness.Ticket ticket = readiness.expect(instanceId);
        try {
            return new CreatedStandby(function, instanceId, provider.create(spec(function, workspace, ticket)),
                    workspace, ticket);
        } catch (RuntimeException e) {
            workspace.remove();
            readiness.forget(instanceId);
            throw failure(function, instanceId, e);
        }
    }

    private SandboxBackend provider(DeployedFunction function) {
        if (function.manifest().egress() && !allowEgress) {
            // Checked at deploy too; a version stored while egress was allowed (restored, rolled back to) is not.
            throw new StartFailedException("fn=" + function.name() + ": egress: true is not allowed on this Isola "
                    + "(the operator turned allowEgress off); deploy it without egress");
        }
        String backend = backend(function);
        return sandboxes.find(backend).orElseThrow(() -> new StartFailedException(
                "fn=" + function.name() + ": backend '" + backend + "' is not installed in this Isola"));
    }

    /** An instance's work directory and console, made before its sandbox; {@link #remove()} undoes both. */
    private record Workspace(Path workDir, Console console, RecentLines recent) {
        void remove() {
            console.close();
            FileTrees.deleteQuietly(workDir);
        }
    }

    private Workspace workspace(DeployedFunction function, String instanceId) {
        Path workDir = runDir.resolve(instanceId);
        RecentLines recent = new RecentLines(logs.sink(function.name(), instanceId));
        try {
            Files.createDirectories(workDir);
            return new Workspace(workDir, consoles.open(workDir.resolve("console"), recent), recent);
        } catch (IOException e) {
            FileTrees.deleteQuietly(workDir);
            throw new StartFailedException("Failed to create work directory " + workDir + ": " + e.getMessage(), e);
        }
    }

    private InstanceSpec spec(DeployedFunction function, Workspace workspace, Readiness.Ticket ticket) {
        String instanceId = workspace.workDir().getFileName().toString();
        URI readyUrl = callbackBase.get().resolve("/_/ready/" + instanceId + "/" + ticket.nonce());
        Map<String, String> env = new HashMap<>(function.manifest().env());
        env.put("ISOLA_READY_URL", readyUrl.toString());
        env.put("ISOLA_FUNCTION", function.name().value());
        env.put("ISOLA_INSTANCE", instanceId);
        return new InstanceSpec(instanceId, function.name(), function.version(), function.artifact(),
                function.manifest().limits(), env, readyUrl, workspace.workDir(), workspace.console(),
                function.manifest().kernel(), function.manifest().egress(), function.manifest().scaling().clones(),
                OpenFileLimit.forConcurrency(function.manifest().scaling().concurrency()));
    }

    /** Waits until {@code instance} serves; then its start-failure lines are no longer kept. */
    private Instance ready(Instance instance, Workspace workspace, Readiness.Ticket ticket, DeployedFunction function,
                           EndpointProbe probe) {
        startsInFlight.incrementAndGet();
        try {
            awaitReady(instance, ticket, function, workspace.console(), workspace.recent(), probe);
        } finally {
            startsInFlight.decrementAndGet();
        }
        workspace.recent().stopKeeping();
        return new WorkDirInstance(instance, workspace.workDir(), workspace.console());
    }

    private StartFailedException failure(DeployedFunction function, String instanceId, RuntimeException e) {
        return e instanceof StartFailedException f ? f : new StartFailedException("fn=" + function.name() + " inst="
                + instanceId + ": failed to start on " + backend(function) + ": " + e.getMessage(), e);
    }

    /** A sandbox created ahead of need, with its work directory, console and readiness ticket. */
    private final class CreatedStandby implements Prepared {
        private final DeployedFunction function;
        private final String id;
        private final Standby sandbox;
        private final Workspace workspace;
        private final Readiness.Ticket ticket;

        CreatedStandby(DeployedFunction function, String id, Standby sandbox,
                       Workspace workspace, Readiness.Ticket ticket) {
            this.function = function;
            this.id = id;
            this.sandbox = sandbox;
            this.workspace = workspace;
            this.ticket = ticket;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public OptionalLong pid() {
            return sandbox.pid();
        }

        /**
         * No admission: what is left of the start is a hand-shake and the function's own start-up. A sandbox whose
         * start fails removes itself ({@link Standby#start()}).
         */
        @Override
        public Instance start(EndpointProbe probe) {
            return startAndAwait(function, id, workspace, ticket, probe, sandbox::start);
        }

        @Override
        public void close() {
            sandbox.close();
            workspace.remove();
            readiness.forget(id);
        }
    }

    /**
     * How long a start waits for its turn at most: as long as a call of its function may wait ({@code
     * limits.timeout}), and at least the start timeout. A start queued past its caller's patience is waste, but
     * one its caller still waits for is not: bounded by the start timeout alone, a burst of 5,000 calls of a function
     * whose calls may wait 45 minutes (bench/density.sh) had 3,373 of them fail after a minute, where all had been
     * answered before.
     */
    static Duration admissionWait(Duration startTimeout, Limits limits) {
        return limits.timeout().compareTo(startTimeout) > 0 ? limits.timeout() : startTimeout;
    }

    /** Waits its turn for at most {@code turn}; the sandbox's own start then has the start timeout whole. */
    private boolean admit(DeployedFunction function, Duration turn) {
        try {
            return admission.admit(turn);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartFailedException("fn=" + function.name() + ": interrupted while waiting to start");
        }
    }

    private void awaitReady(Instance instance, Readiness.Ticket ticket, DeployedFunction function, Console console,
                            RecentLines recent, EndpointProbe probe) {
        long begin = ticker.nanos();
        long deadline = begin + startTimeout.toNanos();
        long backoffMicros = FIRST_PROBE_MICROS;
        // Parks between probes, woken early by a callback: a timed get on the future threw (and filled in the stack
        // of) a TimeoutException for every pause.
        Thread waiter = Thread.currentThread();
        ticket.signalled().thenRun(() -> LockSupport.unpark(waiter));
        while (true) {
            if (ticket.signalled().isDone() || probe.accepts(instance.id(), instance.endpoint())) {
                return;
            }
            if (!instance.isAlive()) {
                console.drain();
                throw new StartFailedException("fn=" + function.name() + " inst=" + instance.id()
                        + ": the function " + instance.exitReason().orElse("stopped") + " before it was ready",
                        recent.describe());
            }
            if (ticker.nanos() - deadline > 0) {
                console.drain();
                throw new StartFailedException("fn=" + function.name() + " inst=" + instance.id()
                        + ": not ready after " + startTimeout.toSeconds() + " s (it neither called ISOLA_READY_URL "
                        + "nor accepted connections on $PORT)", recent.describe());
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(backoffMicros));
            if (Thread.currentThread().isInterrupted()) {
                throw new StartFailedException("fn=" + function.name() + ": interrupted while starting");
            }
            backoffMicros = Math.min(backoffMicros * 2, probeCapMicros(startsInFlight.get(),
                    TimeUnit.NANOSECONDS.toMicros(ticker.nanos() - begin)));
        }
    }

    static long probeCapMicros(int startsInFlight, long waitedMicros) {
        long micros = Math.max(Math.max(MAX_PROBE_MILLIS, startsInFlight / STARTS_PER_PROBE_MILLI) * 1000,
                waitedMicros / WAITED_PER_PROBE);
        return Math.min(micros, MAX_BUSY_PROBE_MILLIS * 1000);
    }

    /**
     * Forwards output to the function log and, while the instance starts, keeps its last lines (at most
     * {@value #OUTPUT_LINES_IN_ERRORS} of them, {@value #OUTPUT_BYTES_IN_ERRORS} characters in all) for the
     * operator's start-failure messages.
     */
    private static final class RecentLines implements OutputSink {
        private final OutputSink delegate;
        private final Deque<String> last = new ArrayDeque<>();
        private int chars;
        private boolean keeping = true;

        RecentLines(OutputSink delegate) {
            this.delegate = delegate;
        }

        @Override
        public void line(String text) {
            delegate.line(text);
            synchronized (last) {
                if (!keeping) {
                    return;
                }
                String kept = text.length() <= OUTPUT_BYTES_IN_ERRORS ? text
                        : text.substring(0, OUTPUT_BYTES_IN_ERRORS) + "...";
                last.addLast(kept);
                chars += kept.length();
                while (last.size() > OUTPUT_LINES_IN_ERRORS || chars > OUTPUT_BYTES_IN_ERRORS && last.size() > 1) {
                    chars -= last.removeFirst().length();
                }
            }
        }

        /** The instance is ready: a start failure can no longer need its lines. */
        void stopKeeping() {
            synchronized (last) {
                keeping = false;
                last.clear();
                chars = 0;
            }
        }

        String describe() {
            synchronized (last) {
                return last.isEmpty() ? "" : "; its last output:\n" + String.join("\n", last);
            }
        }
    }

    /**
     * Deletes the instance's scratch directory after the sandbox is gone. Its exit reason is the platform's words
     * only: it reaches callers, and what the function printed stays in its logs.
     */
    private record WorkDirInstance(Instance delegate, Path workDir, Console console) implements Instance {
        @Override
        public String id() {
            return delegate.id();
        }

        @Override
        public InetSocketAddress endpoint() {
            return delegate.endpoint();
        }

        @Override
        public boolean isAlive() {
            return delegate.isAlive();
        }

        @Override
        public Optional<String> exitReason() {
            if (!delegate.isAlive()) {
                console.drain(); // its last words reach the log before the caller hears why it ended
            }
            return delegate.exitReason();
        }

        @Override
        public OptionalLong pid() {
            return delegate.pid();
        }

        @Override
        public StartKind startKind() {
            return delegate.startKind();
        }

        @Override
        public CompletionStage<Void> onExit() {
            return delegate.onExit();
        }

        @Override
        public void close() {
            delegate.close();
            console.close();
            FileTrees.deleteQuietly(workDir); // the record start-up reaping uses goes last
        }
    }
}
