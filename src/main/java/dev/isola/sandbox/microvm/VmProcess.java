package dev.isola.sandbox.microvm;

import dev.isola.host.Pidfd;
import dev.isola.host.PidfdExits;
import dev.isola.host.ProcessRunner;
import dev.isola.host.ProcessStop;
import dev.isola.sandbox.spi.OomScore;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One QEMU, inside its cgroup and jail from its first instruction, below Isola for the OOM killer, and detached:
 * a launch shell joins the cgroup and becomes {@code vmexec}, which starts QEMU as its child in namespaces of its own
 * ({@link QemuCommand}), says its pid and exits, so QEMU's parent is the host's init, which collects its exit. Isola
 * holds it by a {@link Pidfd} and sees its exit through the backend's {@link PidfdExits}: no JDK process reaper
 * thread waits for each VM (one per child, so a node of 300 VMs had 300 such threads), and QEMU's exit status is not
 * known here (what ended it is on its console).
 */
final class VmProcess {
    /** The launcher's own work: joining a cgroup, opening the tap and forking; a slow host takes milliseconds. */
    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);

    private final Pidfd pidfd;
    private final PidfdExits exits;

    private VmProcess(Pidfd pidfd, PidfdExits exits) {
        this.pidfd = pidfd;
        this.exits = exits;
        exits.onExit(pidfd).thenRun(pidfd::close); // a closed pidfd counts as exited, as it has
    }

    /**
     * @param console    where QEMU's stdout and stderr are appended (the guest's serial console is its stdout)
     * @param state      a clone's saved template state, opened as fd 3 before QEMU chroots (QMP
     *                   {@code migrate-incoming fd:3} reads it later, when no path could be opened any more)
     * @param background at the lowest CPU priority (nice 19): a template, made while live instances serve
     */
    static VmProcess start(ProcessRunner runner, PidfdExits exits, QemuCommand command, VmJail jail, VmCgroup cgroup,
                           Path console, Optional<Path> state, boolean background) throws IOException {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c",
                // Join the cgroup and offer itself to the OOM killer before Isola, then become vmexec, whose child
                // QEMU inherits both: nothing runs outside the limits.
                "for f in $ISOLA_CGROUP_PROCS; do echo $$ > \"$f\" || exit 125; done; "
                        + "echo " + OomScore.SANDBOX + " > /proc/self/oom_score_adj || exit 125; "
                        + "if [ -n \"$ISOLA_VM_STATE\" ]; then exec 3<\"$ISOLA_VM_STATE\" || exit 125; fi; "
                        + "exec " + (background ? "nice -n 19 " : "") + "\"$@\"",
                "isola-vm"));
        argv.addAll(command.argv(console));
        argv.addAll(jail.qemuArgs());
        ProcessBuilder pb = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.appendTo(console.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // Nothing of Isola's own environment (an admin token, a cloud's credentials) for a process that runs a guest.
        pb.environment().clear();
        pb.environment().put("PATH", runner.executables().pathVariable());
        pb.environment().put("ISOLA_CGROUP_PROCS", String.join(" ",
                cgroup.procsFiles().stream().map(Path::toString).toList()));
        state.ifPresent(file -> pb.environment().put("ISOLA_VM_STATE", file.toAbsolutePath().toString()));
        Process shell = runner.start(pb);
        try {
            if (!shell.waitFor(LAUNCH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                shell.destroyForcibly(); // our own child (the shell, or vmexec by then), stuck before QEMU's fork
                throw new IOException("the VM's launch shell did not finish within " + LAUNCH_TIMEOUT.toSeconds()
                        + " s");
            }
        } catch (InterruptedException e) {
            shell.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while launching the VM", e);
        }
        // vmexec has exited, and QEMU's stdout is the console: the pipe holds the pid and its end, no wait.
        String said = new String(shell.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        if (shell.exitValue() != 0 || !said.matches("[0-9]{1,10}")) {
            throw new IOException("the VM's launch failed (exit status " + shell.exitValue()
                    + "; what it printed is in the console)");
        }
        return new VmProcess(hold(Long.parseLong(said), cgroup), exits);
    }

    /**
     * A pidfd for QEMU, checked to be in the VM's cgroup: between vmexec's fork and this open, QEMU may have
     * failed and its pid, in principle, been reused by another process; a handle to that one is never returned.
     */
    private static Pidfd hold(long pid, VmCgroup cgroup) throws IOException {
        Pidfd pidfd;
        try {
            pidfd = Pidfd.open(pid);
        } catch (RuntimeException e) {
            throw new IOException("QEMU exited at once (what it printed is in the console)", e);
        }
        if (!cgroup.holds(pid)) {
            pidfd.close();
            throw new IOException("QEMU exited at once (what it printed is in the console)");
        }
        return pidfd;
    }

    long pid() {
        return pidfd.pid();
    }

    boolean isAlive() {
        return pidfd.isAlive();
    }

    /** Completes once QEMU has exited. */
    CompletionStage<Void> onExit() {
        return exits.onExit(pidfd);
    }

    boolean awaitExit(Duration timeout) throws InterruptedException {
        return pidfd.awaitExit(timeout);
    }

    /** The polite steps of a stop, SIGKILL at the end; through the pidfd, so no other process can be hit. */
    ProcessStop stop() {
        return ProcessStop.of(pidfd);
    }

    /** SIGKILL, then waits a few seconds for the exit (without giving up on an interrupt). */
    void kill() {
        stop().run(KILL_GRACE);
    }

    /** SIGKILL without waiting: for a watchdog that must not block. */
    void killNow() {
        pidfd.signal(Pidfd.SIGKILL);
    }
}
