package dev.isola.sandbox.microvm;

import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.Console;
import dev.isola.sandbox.spi.Instance;
import dev.isola.sandbox.spi.StartKind;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A function in its own VM: one detached QEMU ({@link VmProcess}) whose stdout is the guest's serial console, its
 * {@link Console}. The guest's init reports how the function ended on that console
 * ({@code isola-init: the function ...}); that line is the instance's exit reason.
 */
final class MicrovmInstance implements Instance {
    private static final String INIT_PREFIX = "isola-init: ";
    private static final Duration QMP_GRACE = Duration.ofSeconds(1);
    private static final Duration TERM_GRACE = Duration.ofSeconds(1);

    private final String id;
    private final VmProcess process;
    private final InetSocketAddress endpoint;
    private final Console console;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Path qmpSocket;
    private final InstanceNetwork.Attachment network;
    private final Runnable forgetReadyUrl;
    private final VmCgroup cgroup;
    private final AtomicReference<String> initSaid;
    private final StartKind startKind;

    private MicrovmInstance(String id, VmProcess process, InetSocketAddress endpoint, Console console,
                            AtomicReference<String> initSaid, Path qmpSocket, InstanceNetwork.Attachment network,
                            Runnable forgetReadyUrl, VmCgroup cgroup, StartKind startKind) {
        this.id = id;
        this.process = process;
        this.endpoint = endpoint;
        this.console = console;
        this.startKind = startKind;
        this.initSaid = initSaid;
        this.qmpSocket = qmpSocket;
        this.network = network;
        this.forgetReadyUrl = forgetReadyUrl;
        this.cgroup = cgroup;
    }

    static MicrovmInstance start(String id, VmProcess process, InetSocketAddress endpoint, Console console,
                                 Path qmpSocket, InstanceNetwork.Attachment network, Runnable forgetReadyUrl,
                                 VmCgroup cgroup, StartKind startKind) {
        AtomicReference<String> initSaid = new AtomicReference<>();
        console.observe(line -> {
            if (line.startsWith(INIT_PREFIX)) {
                initSaid.set(line.substring(INIT_PREFIX.length()));
            }
        });
        return new MicrovmInstance(id, process, endpoint, console, initSaid, qmpSocket, network, forgetReadyUrl,
                cgroup, startKind);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public InetSocketAddress endpoint() {
        return endpoint;
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public OptionalLong pid() {
        return OptionalLong.of(process.pid());
    }

    /** Booted, or resumed from its version's template. */
    @Override
    public StartKind startKind() {
        return startKind;
    }

    /** The guest kernel's TCP stack dies with QEMU without closing the gateway's connections. */
    @Override
    public CompletionStage<Void> onExit() {
        return process.onExit();
    }

    @Override
    public Optional<String> exitReason() {
        if (process.isAlive()) {
            return Optional.empty();
        }
        console.drain();
        String said = initSaid.get();
        if (said != null && said.startsWith("the function ")) {
            return Optional.of(said.substring("the function ".length()));
        }
        if (said != null && said.startsWith("error: ")) {
            return Optional.of("stopped: the VM's init failed to " + said.substring("error: ".length()));
        }
        return Optional.of("stopped: its VM ended (QEMU exited; why is in the function's logs)");
    }

    /** CPU time of the VM (QEMU and everything it runs) so far, in nanoseconds; -1 if unknown. */
    long cpuNanos() {
        return cgroup.cpuNanos();
    }

    /**
     * QMP {@code quit}, then SIGTERM, then SIGKILL, each after a grace period; then the tap, the readiness route
     * and the cgroup. Signals go through QEMU's pidfd, so they cannot reach any other process.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        Thread quit = null;
        try {
            if (process.isAlive()) {
                quit = Thread.ofVirtual().unstarted(() -> Qmp.quit(qmpSocket));
                process.stop().then(quit::start, QMP_GRACE).term(TERM_GRACE).run(TERM_GRACE);
            }
            console.drain();
        } finally {
            if (quit != null) {
                quit.interrupt();
            }
            network.close();
            forgetReadyUrl.run();
            cgroup.close();
        }
    }
}
