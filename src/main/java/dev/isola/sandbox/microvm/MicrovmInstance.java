package dev.isola.sandbox.microvm;

import dev.isola.host.ProcessStop;
import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.ChildProcessInstance;
import dev.isola.sandbox.spi.Console;
import dev.isola.sandbox.spi.StartKind;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A function in its own VM: one QEMU child process of the platform whose stdout is the guest's serial console.
 * The guest's init reports how the function ended on that console ({@code isola-init: the function ...}); that line
 * is the instance's exit reason.
 */
final class MicrovmInstance extends ChildProcessInstance {
    private static final String INIT_PREFIX = "isola-init: ";
    private static final Duration QMP_GRACE = Duration.ofSeconds(1);
    private static final Duration TERM_GRACE = Duration.ofSeconds(1);

    private final Path qmpSocket;
    private final InstanceNetwork.Attachment network;
    private final Runnable forgetReadyUrl;
    private final VmCgroup cgroup;
    private final AtomicReference<String> initSaid;
    private final StartKind startKind;

    private MicrovmInstance(String id, Process process, InetSocketAddress endpoint, Console console,
                            AtomicReference<String> initSaid, Path qmpSocket, InstanceNetwork.Attachment network,
                            Runnable forgetReadyUrl, VmCgroup cgroup, StartKind startKind) {
        super(id, process, endpoint, console);
        this.startKind = startKind;
        this.initSaid = initSaid;
        this.qmpSocket = qmpSocket;
        this.network = network;
        this.forgetReadyUrl = forgetReadyUrl;
        this.cgroup = cgroup;
    }

    static MicrovmInstance start(String id, Process process, InetSocketAddress endpoint, Console console,
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

    /** Booted, or resumed from its version's template. */
    @Override
    public StartKind startKind() {
        return startKind;
    }

    /** The guest kernel's TCP stack dies with QEMU without closing the gateway's connections. */
    @Override
    public CompletionStage<Void> onExit() {
        return childExit();
    }

    @Override
    public Optional<String> exitReason() {
        if (process().isAlive()) {
            return Optional.empty();
        }
        drainOutput();
        String said = initSaid.get();
        if (said != null && said.startsWith("the function ")) {
            return Optional.of(said.substring("the function ".length()));
        }
        if (said != null && said.startsWith("error: ")) {
            return Optional.of("stopped: the VM's init failed to " + said.substring("error: ".length()));
        }
        return Optional.of("stopped: its VM ended (QEMU exited with status " + process().exitValue() + ")");
    }

    /** CPU time of the VM (QEMU and everything it runs) so far, in nanoseconds; -1 if unknown. */
    long cpuNanos() {
        return cgroup.cpuNanos();
    }

    /**
     * QMP {@code quit}, then SIGTERM, then SIGKILL, each after a grace period; then the tap, the readiness route
     * and the cgroup. Signals go to the QEMU child this instance started ({@link Process#destroy()} on its own
     * handle), so they cannot reach any other process.
     */
    @Override
    public void close() {
        if (!beginClose()) {
            return;
        }
        Thread quit = null;
        try {
            if (process().isAlive()) {
                quit = Thread.ofVirtual().unstarted(() -> Qmp.quit(qmpSocket));
                ProcessStop.of(process()).then(quit::start, QMP_GRACE).term(TERM_GRACE).run(TERM_GRACE);
            }
            drainOutput();
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
