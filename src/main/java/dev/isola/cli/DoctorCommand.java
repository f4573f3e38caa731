package dev.isola.cli;

import dev.isola.sandbox.spi.Availability;
import dev.isola.sandbox.spi.SandboxProvider;
import dev.isola.sandbox.spi.Sandboxes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        out.println("Sandbox backends:");
        for (SandboxProvider p : Sandboxes.load().all()) {
            Availability a = p.probe();
            out.printf("  %-10s %-12s %s%s%n", p.type(), a.available() ? "available" : "unavailable", a.detail(),
                    p.isolating() ? "" : " [not isolating]");
            out.flush();
            for (String line : p.diagnostics()) {
                out.printf("  %-10s %-12s %s%n", "", "", line);
            }
        }
        out.println("Tools:");
        for (String tool : List.of("go", "node", "hey", "runc", "crun", "runsc", "qemu-system-x86_64")) {
            out.printf("  %-20s %s%n", tool, which(tool).map(Path::toString).orElse("not found"));
        }
        return 0;
    }

    static java.util.Optional<Path> which(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return java.util.Optional.of(p);
            }
        }
        return java.util.Optional.empty();
    }
}
