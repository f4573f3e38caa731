package dev.isola.sandbox.microvm;

import dev.isola.host.ProcessRunner;
import dev.isola.sandbox.spi.OomScore;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Starts one QEMU: inside its cgroup and jail from its first instruction, below Isola for the OOM killer. */
final class VmProcess {
    private VmProcess() {
    }

    /**
     * @param state      a clone's saved template state, opened as fd 3 before QEMU chroots (QMP
     *                   {@code migrate-incoming fd:3} reads it later, when no path could be opened any more)
     * @param background at the lowest CPU priority (nice 19): a template, made while live instances serve
     */
    static Process start(ProcessRunner runner, QemuCommand command, VmJail jail, VmCgroup cgroup,
                         ProcessBuilder.Redirect output, Optional<Path> state, boolean background) {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c",
                // Join the cgroup and offer itself to the OOM killer before Isola, then become QEMU (same pid):
                // nothing runs outside the limits.
                "for f in $ISOLA_CGROUP_PROCS; do echo $$ > \"$f\" || exit 125; done; "
                        + "echo " + OomScore.SANDBOX + " > /proc/self/oom_score_adj || exit 125; "
                        + "if [ -n \"$ISOLA_VM_STATE\" ]; then exec 3<\"$ISOLA_VM_STATE\" || exit 125; fi; "
                        + "exec " + (background ? "nice -n 19 " : "") + "\"$@\"",
                "isola-vm"));
        argv.addAll(command.argv());
        argv.addAll(jail.qemuArgs());
        ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(output).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("ISOLA_CGROUP_PROCS", String.join(" ",
                cgroup.procsFiles().stream().map(Path::toString).toList()));
        state.ifPresent(file -> pb.environment().put("ISOLA_VM_STATE", file.toAbsolutePath().toString()));
        return runner.start(pb);
    }
}
