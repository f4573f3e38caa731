package dev.isola.cli;

import dev.isola.config.ConfigLoader;
import dev.isola.server.HostBackends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code isola doctor}: what this host can run, and why not. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "List every sandbox backend as available or unavailable, with the reason, and the tools "
                + "Isola uses.")
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        HostBackends backends = HostBackends.of(ConfigLoader.load(Optional.empty()));
        out.println("Sandbox backends:");
        for (HostBackends.BackendReport r : backends.reports()) {
            out.printf("  %-10s %-12s %s [isolation: %s%s]%n", r.type(), r.state(), r.detail(), r.isolation(),
                    r.isolating() ? "" : ", not isolating");
            for (String line : r.diagnostics()) {
                out.printf("  %-10s %-12s %s%n", "", "", line);
            }
            out.flush();
        }
        out.println("Tools:");
        for (String tool : List.of("go", "node", "hey", "runc", "crun", "runsc", "qemu-system-x86_64")) {
            out.printf("  %-20s %s%n", tool, backends.tool(tool).map(Path::toString).orElse("not found"));
        }
        out.printf("  %-20s %s%n", "python3 + waitress", backends.python()
                .map(p -> p.interpreter() + " (waitress in " + p.packages() + ")")
                .orElse("not found: install python3-waitress for runtime: python"));
        return 0;
    }
}
