package dev.isola.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a test may not leave behind. */
public final class Leaks {
    private Leaks() {
    }

    /** Child processes of this JVM (instances of the process backend, runtimes, QEMU...). */
    public static List<String> childProcesses() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList();
    }

    public static void assertNoChildProcesses() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!childProcesses().isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(childProcesses()).as("child processes left behind").isEmpty();
    }

    /** No runc container, network namespace, veth, bridge or parent cgroup of Isola's is left on the host. */
    public static void assertNoContainerLeftovers() {
        // A sandbox's last processes may take a moment to exit after delete; give the kernel that moment.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (command("ip", "-o", "link").contains(": iv") && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        for (String runtime : List.of("runc", "runsc", "crun")) {
            assertThat(command(runtime, "--root", "/run/isola/" + runtime, "list", "--quiet"))
                    .as(runtime + " containers").isBlank();
        }
        assertThat(command("ip", "netns", "list")).as("network namespaces").doesNotContain("isola-");
        assertThat(command("ip", "-o", "link")).as("links").doesNotContain("isola0").doesNotContain(": iv");
        assertThat(Path.of("/sys/fs/cgroup/memory/isola")).as("memory cgroup").doesNotExist();
        try {
            assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo"))).as("runtimes' mount namespaces")
                    .noneMatch(line -> line.contains("-mntns"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** No QEMU, tap, bridge, firewall table or VM cgroup of Isola's is left on the host. */
    public static void assertNoVmLeftovers() {
        assertThat(command("ip", "-o", "link")).as("links").doesNotContain("isola0").doesNotContain(": it");
        assertThat(command("nft", "list", "tables")).as("firewall tables").doesNotContain("isola");
        for (String cgroup : List.of("isola-vm", "memory/isola-vm", "cpu/isola-vm", "pids/isola-vm")) {
            assertThat(Path.of("/sys/fs/cgroup", cgroup)).as(cgroup + " cgroup").doesNotExist();
        }
    }

    private static String command(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        } catch (java.io.IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    public static void assertEmptyDir(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var list = Files.list(dir)) {
            assertThat(list.toList()).as("left in " + dir).isEmpty();
        }
    }
}
