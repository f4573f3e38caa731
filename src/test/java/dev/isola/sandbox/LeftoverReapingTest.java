package dev.isola.sandbox;

import dev.isola.host.FileTrees;
import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Start-up after a crash: what the crashed run of this state directory left (a jailed VM process, a network
 * namespace, a tap, a VM cgroup) is removed; the same kinds of things belonging to another Isola on the host are not.
 * The test removes the "other Isola's" things itself; then nothing may be left.
 */
@NoLeaks
class LeftoverReapingTest {
    private static final String OURS = "fn.a0a0a0a0a0";
    private static final String FOREIGN_KEY = "b1b1b1b1b1";
    /** A network attachment made ahead of need (SpareAttachments), recorded by its marker file. */
    private static final String SPARE_KEY = "nc2c2c2c2c2c";
    /** Isola's state root for runc (OciBackend.STATE_ROOT). */
    private static final String RUNC_ROOT = "/run/isola/runc";
    private static final String RUNSC_ROOT = "/run/isola/runsc";

    @BeforeEach
    void needsRoot() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (netns, taps, cgroups)");
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/sys/fs/cgroup/memory")) || Files.exists(
                Path.of("/sys/fs/cgroup/cgroup.controllers")), "no cgroup file system");
    }

    @Test
    void start_reapsLeftoversOfThisStateDirOnly() throws Exception {
        Path state = Files.createTempDirectory("isola-test-crashed-");
        Path work = Files.createDirectories(state.resolve("run").resolve(OURS));
        Process vm = leftoverVm(work);
        Path cgroup = vmCgroup(OURS);
        Files.createDirectories(cgroup);
        // A container cgroup whose runtime state is gone (a runtime killed half-way through a start), with a
        // process still in it, and another Isola's container cgroup.
        Path containerCgroup = Files.createDirectories(containerCgroup(OURS));
        Path foreignCgroup = Files.createDirectories(containerCgroup("fn." + FOREIGN_KEY));
        Process stray = new ProcessBuilder("sleep", "600").start();
        Files.writeString(containerCgroup.resolve("cgroup.procs"), Long.toString(stray.pid()));
        String ourKey = OURS.substring(3);
        ip("netns", "add", "isola-" + ourKey);
        ip("tuntap", "add", "dev", "it" + ourKey, "mode", "tap");
        ip("netns", "add", "isola-" + FOREIGN_KEY);
        Path spareMarker = Files.createDirectories(state.resolve("spare-networks")).resolve(SPARE_KEY);
        Files.createFile(spareMarker);
        ip("netns", "add", "isola-" + SPARE_KEY);
        ip("tuntap", "add", "dev", "it" + FOREIGN_KEY, "mode", "tap");
        try {
            TestIsola.startOn(state, "process").close();

            assertThat(vm.waitFor(5, TimeUnit.SECONDS)).as("leftover VM process stopped").isTrue();
            assertThat(Path.of("/var/run/netns/isola-" + ourKey)).doesNotExist();
            assertThat(Path.of("/sys/class/net/it" + ourKey)).doesNotExist();
            assertThat(cgroup).doesNotExist();
            assertThat(stray.waitFor(5, TimeUnit.SECONDS)).as("process left in a container cgroup").isTrue();
            assertThat(containerCgroup).doesNotExist();
            assertThat(foreignCgroup).as("another Isola's container cgroup").exists();
            assertThat(Path.of("/var/run/netns/isola-" + SPARE_KEY)).as("spare network namespace").doesNotExist();
            assertThat(spareMarker).doesNotExist();
            assertThat(Path.of("/var/run/netns/isola-" + FOREIGN_KEY)).as("another Isola's namespace").exists();
            assertThat(Path.of("/sys/class/net/it" + FOREIGN_KEY)).as("another Isola's tap").exists();
        } finally {
            vm.destroyForcibly();
            vm.waitFor();
            stray.destroyForcibly();
            stray.waitFor();
            Files.deleteIfExists(containerCgroup);
            Files.deleteIfExists(foreignCgroup);
            for (String key : List.of(ourKey, FOREIGN_KEY, SPARE_KEY)) {
                quietly("ip", "netns", "del", "isola-" + key);
                quietly("ip", "link", "del", "it" + key);
            }
            Files.deleteIfExists(cgroup);
            removeParentsIfEmpty(cgroup);
        }
    }

    /**
     * A runsc create killed half-way (its deadline passed on a host saturated by starts) leaves a lock file beside the
     * state it never wrote, and the instance's cgroups; runsc's delete succeeds and leaves both. Once no state is left,
     * the lock is garbage: it is removed with the cgroups, and it no longer counts as the container's state. Another
     * container's lock file stays.
     */
    @Test
    void start_removesTheLockFileOfAKilledRunscCreate_withItsCgroups() throws Exception {
        Path state = Files.createTempDirectory("isola-test-crashed-");
        String ours = "fn.c7c7c7c7c7c7";
        String foreign = "fn.b8b8b8b8b8b8";
        Files.createDirectories(state.resolve("run").resolve(ours));
        Path root = Files.createDirectories(Path.of(RUNSC_ROOT));
        Path ourLock = root.resolve(ours + "_sandbox:" + ours + ".lock");
        Path foreignLock = root.resolve(foreign + "_sandbox:" + foreign + ".lock");
        Files.createFile(ourLock);
        Files.createFile(foreignLock);
        Path cgroup = Files.createDirectories(containerCgroup(ours));
        try {
            TestIsola.startOn(state, "process").close();

            assertThat(ourLock).as("the lock file of a create that never finished").doesNotExist();
            assertThat(cgroup).doesNotExist();
            assertThat(foreignLock).as("another container's lock file").exists();
        } finally {
            Files.deleteIfExists(ourLock);
            Files.deleteIfExists(foreignLock);
            Files.deleteIfExists(cgroup);
            try {
                Files.deleteIfExists(cgroup.getParent()); // made by this test, unless another Isola uses it
            } catch (IOException e) {
                // Another Isola on this host has sandboxes there.
            }
            FileTrees.deleteRecursively(state);
        }
    }

    /**
     * A container that a run of this state directory created but whose work directory is gone (a start that raced
     * the stop or a crash) is still recognised as ours by its bundle path and deleted; another Isola's is not, unless
     * its state directory is gone and no live run claims it.
     */
    @Test
    void start_reapsContainersOfThisStateDir_whoseWorkDirectoryIsGone() throws Exception {
        Assumptions.assumeTrue(TestHost.runner().executables().find("runc").isPresent(), "runc is not installed");
        Path state = Files.createTempDirectory("isola-test-crashed-");
        Path elsewhere = Files.createTempDirectory("isola-test-other-");
        Path rootfs = busyboxRootfs(elsewhere);
        String ours = "fn.d3d3d3d3d3d3";
        String foreign = "fn.e4e4e4e4e4e4";
        // Another Isola's, on a state directory that still exists (its own next run reaps it).
        String foreignRun = "fn.c9c9c9c9c9c9";
        // A run's whose state directory was deleted after its server was killed: nothing else would ever reap it.
        String abandoned = "fn.b7b7b7b7b7b7";
        Path gone = Files.createTempDirectory("isola-test-gone-");
        Path ourBundle = Files.createDirectories(state.resolve("run").resolve(ours));
        try {
            createContainer(ours, ourBundle, rootfs);
            createContainer(foreign, Files.createDirectories(elsewhere.resolve(foreign)), rootfs);
            createContainer(foreignRun, Files.createDirectories(elsewhere.resolve("run").resolve(foreignRun)), rootfs);
            createContainer(abandoned, Files.createDirectories(gone.resolve("run").resolve(abandoned)), rootfs);
            FileTrees.deleteRecursively(ourBundle);
            FileTrees.deleteRecursively(gone);

            TestIsola.startOn(state, "runc").close();

            assertThat(runcContainers()).as("containers under Isola's runc root").doesNotContain(ours, abandoned)
                    .contains(foreign, foreignRun);
        } finally {
            for (String id : List.of(ours, foreign, foreignRun, abandoned)) {
                quietly("runc", "--root", RUNC_ROOT, "delete", "--force", id);
            }
            FileTrees.deleteRecursively(elsewhere);
            FileTrees.deleteRecursively(gone);
            FileTrees.deleteRecursively(state);
        }
    }

    /**
     * A stop leaves no container of its state directory behind, even one whose own delete failed (a host so busy that
     * thousands of deletes passed their timeout left 348 of 5,000): the backend's shutdown deletes what is still under
     * the runtime's root with a bundle in this state directory, and only that.
     */
    @Test
    void stop_deletesContainersOfThisStateDir_thatTheirStopLeft() throws Exception {
        Assumptions.assumeTrue(TestHost.runner().executables().find("runc").isPresent(), "runc is not installed");
        Path state = Files.createTempDirectory("isola-test-stopping-");
        Path elsewhere = Files.createTempDirectory("isola-test-other-");
        Path rootfs = busyboxRootfs(elsewhere);
        String left = "fn.f5f5f5f5f5f5";
        String foreign = "fn.a6a6a6a6a6a6";
        try {
            TestIsola server = TestIsola.startOn(state, "runc");
            createContainer(left, Files.createDirectories(state.resolve("run").resolve(left)), rootfs);
            createContainer(foreign, Files.createDirectories(elsewhere.resolve("run").resolve(foreign)), rootfs);

            server.close();

            assertThat(runcContainers()).as("containers under Isola's runc root").doesNotContain(left)
                    .contains(foreign);
        } finally {
            for (String id : List.of(left, foreign)) {
                quietly("runc", "--root", RUNC_ROOT, "delete", "--force", id);
            }
            FileTrees.deleteRecursively(elsewhere);
            FileTrees.deleteRecursively(state);
        }
    }

    /**
     * A VM of this state directory whose work directory is gone, pid file and all (removed by hand, or a start that
     * raced the stop), is found by its VM cgroup and stopped, as is one of a deleted state directory that no live run
     * claims; another Isola's VM in a VM cgroup is not.
     */
    @Test
    void start_stopsVmsOfThisStateDir_whoseWorkDirectoryIsGone() throws Exception {
        Assumptions.assumeTrue(TestHost.runner().executables().find("qemu-system-x86_64").isPresent(),
                "QEMU is not installed");
        Path state = Files.createTempDirectory("isola-test-crashed-");
        Path elsewhere = Files.createTempDirectory("isola-test-other-");
        String ours = "fn.f5f5f5f5f5";
        String foreign = "fn.a6a6a6a6a6";
        String abandoned = "fn.b6b6b6b6b6"; // its state directory deleted after its server was killed
        Path gone = Files.createTempDirectory("isola-test-gone-");
        Path ourWork = Files.createDirectories(state.resolve("run").resolve(ours));
        Process ourVm = leftoverVm(ourWork);
        Process foreignVm = leftoverVm(Files.createDirectories(elsewhere.resolve("run").resolve(foreign)));
        Process abandonedVm = leftoverVm(Files.createDirectories(gone.resolve("run").resolve(abandoned)));
        Path ourCgroup = Files.createDirectories(vmCgroup(ours));
        Path foreignCgroup = Files.createDirectories(vmCgroup(foreign));
        Path abandonedCgroup = Files.createDirectories(vmCgroup(abandoned));
        try {
            Files.writeString(ourCgroup.resolve("cgroup.procs"), Long.toString(ourVm.pid()));
            Files.writeString(foreignCgroup.resolve("cgroup.procs"), Long.toString(foreignVm.pid()));
            Files.writeString(abandonedCgroup.resolve("cgroup.procs"), Long.toString(abandonedVm.pid()));
            FileTrees.deleteRecursively(ourWork);
            FileTrees.deleteRecursively(gone);

            TestIsola.startOn(state, "process").close();

            assertThat(ourVm.waitFor(5, TimeUnit.SECONDS)).as("our VM, its work directory gone").isTrue();
            assertThat(ourCgroup).doesNotExist();
            assertThat(abandonedVm.waitFor(5, TimeUnit.SECONDS)).as("a deleted state directory's VM").isTrue();
            assertThat(abandonedCgroup).doesNotExist();
            assertThat(foreignVm.isAlive()).as("another Isola's VM").isTrue();
        } finally {
            for (Process vm : List.of(ourVm, foreignVm, abandonedVm)) {
                vm.destroyForcibly();
                vm.waitFor();
            }
            for (Path cgroup : List.of(ourCgroup, foreignCgroup, abandonedCgroup)) {
                Await.until(Duration.ofSeconds(5), () -> removedOrGone(cgroup), Boolean::booleanValue,
                        "cgroup " + cgroup + " empty and removed");
            }
            removeParentsIfEmpty(ourCgroup);
            FileTrees.deleteRecursively(elsewhere);
            FileTrees.deleteRecursively(gone);
            FileTrees.deleteRecursively(state);
        }
    }

    private static boolean removedOrGone(Path cgroup) {
        try {
            Files.deleteIfExists(cgroup);
            return true;
        } catch (IOException e) {
            return false; // the killed process is still listed for a moment
        }
    }

    /** isola/vm, then isola: the VMs' parent is inside the containers'; another Isola may still use them. */
    private static void removeParentsIfEmpty(Path vmCgroup) {
        for (Path parent : List.of(vmCgroup.getParent(), vmCgroup.getParent().getParent())) {
            try {
                Files.deleteIfExists(parent);
            } catch (IOException e) {
                // Another Isola on this host has sandboxes there.
            }
        }
    }

    /** A created (not started) container running busybox from {@code rootfs}, its bundle at {@code bundle}. */
    /** {@code dir/rootfs} holding busybox alone: enough for a container that sleeps. */
    private static Path busyboxRootfs(Path dir) throws IOException {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Files.copy(TestHost.runner().executables().require("busybox"), rootfs.resolve("busybox"));
        return rootfs;
    }

    private static void createContainer(String id, Path bundle, Path rootfs) throws Exception {
        Files.writeString(bundle.resolve("config.json"), """
                {"ociVersion": "1.0.2", "root": {"path": "%s", "readonly": true},
                 "process": {"user": {"uid": 0, "gid": 0}, "args": ["/busybox", "sleep", "600"], "cwd": "/"},
                 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
                 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}}
                """.formatted(rootfs));
        Process create = new ProcessBuilder("runc", "--root", RUNC_ROOT, "create", "--bundle", bundle.toString(), id)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
        assertThat(create.waitFor()).as("runc create " + id).isZero();
    }

    private static String runcContainers() throws Exception {
        Process list = new ProcessBuilder("runc", "--root", RUNC_ROOT, "list", "--quiet").start();
        String out = new String(list.getInputStream().readAllBytes());
        list.waitFor();
        return out;
    }

    /**
     * A VM whose platform died: a paused QEMU jailed as a VM's is (its own uid, a chroot, a seccomp filter) that
     * wrote its pid file, when QEMU is installed; else a stand-in whose command line names the QMP socket.
     */
    private static Process leftoverVm(Path work) throws Exception {
        String qmp = work.resolve("qmp.sock").toAbsolutePath().toString();
        Path pidFile = work.resolve("qemu.pid");
        if (TestHost.runner().executables().find("qemu-system-x86_64").isEmpty()) {
            Process standIn = new ProcessBuilder("tail", "-f", "/dev/null", qmp).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Files.writeString(pidFile, Long.toString(standIn.pid()));
            return standIn;
        }
        Path jail = Files.createDirectory(work.resolve("jail"));
        Process qemu = new ProcessBuilder("qemu-system-x86_64", "-M", "microvm", "-S", "-nodefaults",
                "-no-user-config", "-display", "none", "-accel", "tcg", "-qmp", "unix:" + qmp + ",server=on,wait=off",
                "-pidfile", pidFile.toString(), "-sandbox", "on,obsolete=deny,spawn=deny,resourcecontrol=deny",
                "-chroot", jail.toString(), "-runas", "265535:265535").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Await.until(Duration.ofSeconds(10), () -> uidOf(qemu.pid()), "265535"::equals, "QEMU to drop to its uid");
        return qemu;
    }

    private static String uidOf(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .map(l -> l.substring(4).trim().split("\\s+")[0]).findFirst().orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    /** Where runc puts an instance's cgroup ({@code cgroupsPath /isola/<id>}); the memory controller on v1. */
    private static Path containerCgroup(String id) {
        Path unified = Path.of("/sys/fs/cgroup/cgroup.controllers");
        return Files.exists(unified) ? Path.of("/sys/fs/cgroup/isola", id) : Path.of("/sys/fs/cgroup/memory/isola", id);
    }

    private static Path vmCgroup(String id) {
        Path unified = Path.of("/sys/fs/cgroup/cgroup.controllers");
        return Files.exists(unified) ? Path.of("/sys/fs/cgroup/isola/vm", id)
                : Path.of("/sys/fs/cgroup/memory/isola/vm", id);
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        List<String> argv = new java.util.ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", argv) + ": " + out).isZero();
    }

    private static void quietly(String... argv) {
        try {
            new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            // Already gone.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
