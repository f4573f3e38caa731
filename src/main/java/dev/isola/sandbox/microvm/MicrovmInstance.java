package dev.isola.sandbox.microvm;

import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.ChildProcessInstance;
import dev.isola.sandbox.spi.OutputSink;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A function in its own VM: one QEMU child process of the platform whose stdout is the guest's serial console.
 * The guest's init reports how the function ended on that console ({@code isola-init: the function ...}); that line
 * is the instance's exit reason.
 */
final class MicrovmInstance extends ChildProcessInstance {
    private static final String INIT_PREFIX = "isola-init: ";
    private static final long QMP_GRACE_MILLIS = 1_000;
    private static final long TERM_GRACE_MILLIS = 1_000;

    private final Path qmpSocket;
    private final InstanceNetwork.Attachment network;
    private final URI readyUrl;
    private final VmCgroup cgroup;
    private final AtomicReference<String> initSaid;

    private MicrovmInstance(String id, Process process, InetSocketAddress endpoint, OutputSink output,
                            AtomicReference<String> initSaid, Path qmpSocket, InstanceNetwork.Attachment network,
                            URI readyUrl, VmCgroup cgroup) {
        super(id, process, endpoint, output);
        this.initSaid = initSaid;
        this.qmpSocket = qmpSocket;
        this.network = network;
        this.readyUrl = readyUrl;
        this.cgroup = cgroup;
    }

    static MicrovmInstance start(String id, Process process, InetSocketAddress endpoint, OutputSink output,
                                 Path qmpSocket, InstanceNetwork.Attachment network, URI readyUrl, VmCgroup cgroup) {
        AtomicReference<String> initSaid = new AtomicReference<>();
        OutputSink watching = line -> {
            if (line.startsWith(INIT_PREFIX)) {
                initSaid.set(line.substring(INIT_PREFIX.length()));
            }
            output.line(line);
        };
        return new MicrovmInstance(id, process, endpoint, watching, initSaid, qmpSocket, network, readyUrl, cgroup);
    }

    /** The guest kernel's TCP stack dies with QEMU without closing the gateway's connections. */
    @Override
    public java.util.concurrent.CompletionStage<Void> onExit() {
        return childExit();
    }

    @Override
    public Optional<String> exitReason() {
        if (process().isAlive()) {
            return Optional.empty();
        }
        try {
            awaitOutput(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        try {
            if (process().isAlive()) {
                Thread quit = Thread.ofVirtual().start(() -> Qmp.quit(qmpSocket));
                if (!process().waitFor(QMP_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                    process().destroy();
                    if (!process().waitFor(TERM_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                        process().destroyForcibly();
                        process().waitFor(TERM_GRACE_MILLIS, TimeUnit.MILLISECONDS);
                    }
                }
                quit.interrupt();
            }
            awaitOutput(TERM_GRACE_MILLIS);
        } catch (InterruptedException e) {
            process().destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            network.close();
            InstanceNetwork.shared().forgetReadyUrl(readyUrl);
            cgroup.close();
        }
    }
}
