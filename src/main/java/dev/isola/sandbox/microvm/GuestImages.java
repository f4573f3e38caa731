package dev.isola.sandbox.microvm;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.function.Artifact;
import dev.isola.host.Command;
import dev.isola.host.FileTrees;
import dev.isola.host.PrivateFiles;
import dev.isola.host.ProcessRunner;
import dev.isola.sandbox.spi.HostRuntimeFiles;
import dev.isola.sandbox.spi.SandboxException;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Turns a function version's backend-neutral artefact into what a VM boots, once per version, cached beside the
 * artefact in {@code v<N>.microvm/} (it lives and dies with the version):
 * <ul>
 *   <li>{@code root.ext4}: a read-only ext4 disk with the artefact at {@code /fn} and, for Node.js, the node binary
 *   and exactly its shared libraries at their host paths. Every instance of the version opens the same file
 *   read-only through virtio-blk, so the page cache holds Node.js once for all VMs instead of once per VM's
 *   memory, as an initramfs would. Built with {@code mke2fs -d}: no mount, no loop device, no root needed.</li>
 *   <li>{@code initrd-<kernel>-<init>-<open files>.cpio}: the init, its configuration (argv, env, port, the
 *   function's open-file limit) and the generic kernel's
 *   modules, written as an uncompressed newc cpio from Java (the kernel unpacks it faster than a compressed one
 *   under emulation; it is about 2 MB).</li>
 * </ul>
 */
final class GuestImages {
    static final int FUNCTION_PORT = 8080;
    /** The unprivileged user the function runs as inside the guest ("nobody"). */
    private static final int FUNCTION_UID = 65534;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ProcessRunner runner;
    private final HostRuntimeFiles hostRuntime;
    private final Map<Path, Object> locks = new ConcurrentHashMap<>();

    record Images(Path rootDisk, Path initramfs) {
    }

    GuestImages(ProcessRunner runner) {
        this.runner = runner;
        this.hostRuntime = new HostRuntimeFiles(runner);
    }

    Images ensure(Artifact artifact, GuestKernel kernel, Path init, Map<String, String> env, boolean egress,
                  int openFiles) {
        Path dir = artifact.root().resolveSibling(artifact.root().getFileName() + ".microvm");
        synchronized (locks.computeIfAbsent(dir, d -> new Object())) {
            try {
                Files.createDirectories(dir);
                Path disk = dir.resolve("root.ext4");
                List<String> argv = guestArgv(artifact);
                if (!Files.exists(disk)) {
                    buildRootDisk(artifact, disk, egress);
                }
                // The open-file limit follows the host's own, which may change between runs of the same version.
                Path initramfs = dir.resolve("initrd-" + kernel.name() + "-" + init.getParent().getFileName() + "-"
                        + openFiles + ".cpio");
                if (!Files.exists(initramfs)) {
                    buildInitramfs(initramfs, kernel, init, argv, env, openFiles);
                }
                return new Images(disk, initramfs);
            } catch (IOException e) {
                throw new SandboxException("Failed to build the VM images of " + artifact.root() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /** The function's command as seen inside the guest's root. */
    private List<String> guestArgv(Artifact artifact) {
        List<String> argv = new ArrayList<>(artifact.argv());
        String program = argv.getFirst();
        if (program.startsWith("./")) {
            argv.set(0, "/fn/" + program.substring(2));
        }
        hostRuntime.of(artifact).ifPresent(onHost -> argv.set(0, onHost.program().toString()));
        return argv;
    }

    private void buildRootDisk(Artifact artifact, Path disk, boolean egress) throws IOException {
        Path stage = Files.createTempDirectory(disk.getParent(), "stage-");
        try {
            for (String dir : List.of("proc", "dev", "sys", "tmp", "fn")) {
                Files.createDirectories(stage.resolve(dir));
            }
            FileTrees.copy(artifact.root(), stage.resolve("fn"), relative -> false);
            Path resolvConf = Path.of("/etc/resolv.conf");
            if (egress && Files.isRegularFile(resolvConf)) {
                Files.createDirectories(stage.resolve("etc"));
                Files.copy(resolvConf, stage.resolve("etc/resolv.conf"));
            }
            for (Path path : hostRuntime.of(artifact).map(HostRuntimeFiles.HostProgram::paths).orElse(List.of())) {
                Path target = stage.resolve(path.toString().substring(1));
                Files.createDirectories(target.getParent());
                if (Files.isDirectory(path)) {
                    FileTrees.copy(path, target, relative -> false);
                } else {
                    Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            long bytes = treeSize(stage);
            long mib = Math.max(16, (long) (bytes * 1.15 / (1 << 20)) + 8);
            Path tmp = disk.resolveSibling("root.ext4.tmp");
            Files.deleteIfExists(tmp);
            runner.run(Command.of("mke2fs", "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-m", "0",
                    "-L", "isola-fn", "-E", "root_owner=0:0", "-d", stage.toString(), tmp.toString(), mib + "M")
                    .withTimeout(Duration.ofSeconds(120)));
            Files.move(tmp, disk, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            FileTrees.deleteQuietly(stage);
        }
    }

    private void buildInitramfs(Path initramfs, GuestKernel kernel, Path init, List<String> argv,
                                Map<String, String> env, int openFiles) throws IOException {
        List<String> guestEnv = new ArrayList<>(List.of("PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp",
                "TMPDIR=/tmp", "PORT=" + FUNCTION_PORT, "HOST=0.0.0.0"));
        // Per-instance values come on the kernel command line; the init signals readiness itself.
        env.forEach((k, v) -> {
            if (!k.equals("ISOLA_READY_URL") && !k.equals("ISOLA_INSTANCE")) {
                guestEnv.add(k + "=" + v);
            }
        });
        List<String> modules = new ArrayList<>();
        for (Path module : kernel.modules()) {
            modules.add("/lib/modules/" + GenericKernel.moduleName(module.toString()) + ".ko");
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("argv", argv);
        config.put("env", guestEnv);
        config.put("dir", "/fn");
        config.put("port", FUNCTION_PORT);
        config.put("uid", FUNCTION_UID);
        config.put("modules", modules);
        config.put("openFiles", openFiles);

        Path tmp = initramfs.resolveSibling(initramfs.getFileName() + ".tmp");
        try (OutputStream file = PrivateFiles.output(tmp); // the function's env
             CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(file, CpioConstants.FORMAT_NEW)) {
            for (String dir : List.of("dev", "proc", "sys", "rootfs", "isola", "tmp", "lib", "lib/modules")) {
                directory(cpio, dir);
            }
            console(cpio);
            file(cpio, "init", Files.readAllBytes(init), 0755);
            file(cpio, "isola/config.json", JSON.writeValueAsBytes(config), 0644);
            for (int i = 0; i < modules.size(); i++) {
                file(cpio, modules.get(i).substring(1), moduleBytes(kernel.modules().get(i), initramfs.getParent()),
                        0644);
            }
            cpio.finish();
        }
        Files.move(tmp, initramfs, StandardCopyOption.ATOMIC_MOVE);
    }

    /** An initramfs with nothing but the init, which in probe mode only reports that it reached user space. */
    static Path probeInitramfs(Path dir, Path init) throws IOException {
        Path initramfs = dir.resolve("probe.cpio");
        try (OutputStream file = Files.newOutputStream(initramfs);
             CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(file, CpioConstants.FORMAT_NEW)) {
            directory(cpio, "dev");
            console(cpio);
            file(cpio, "init", Files.readAllBytes(init), 0755);
            cpio.finish();
        }
        return initramfs;
    }

    /** The kernel opens /dev/console for init's stdio before anything is mounted. */
    private static void console(CpioArchiveOutputStream cpio) throws IOException {
        CpioArchiveEntry console = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, "dev/console", 0);
        console.setMode(CpioConstants.C_ISCHR | 0600);
        console.setRemoteDeviceMaj(5);
        console.setRemoteDeviceMin(1);
        cpio.putArchiveEntry(console);
        cpio.closeArchiveEntry();
    }

    /**
     * A module as the kernel's finit_module takes it: Debian may ship them xz-compressed, and {@code xz -d} unpacks
     * a copy in a scratch directory beside the image.
     */
    private byte[] moduleBytes(Path module, Path scratchDir) throws IOException {
        if (!module.toString().endsWith(".xz")) {
            return Files.readAllBytes(module);
        }
        Path scratch = Files.createTempDirectory(scratchDir, "module-");
        try {
            Path packed = Files.copy(module, scratch.resolve("module.ko.xz"));
            runner.run(Command.of("xz", "-d", packed.toString()));
            return Files.readAllBytes(scratch.resolve("module.ko"));
        } finally {
            FileTrees.deleteQuietly(scratch);
        }
    }

    private static void directory(CpioArchiveOutputStream cpio, String name) throws IOException {
        CpioArchiveEntry entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, 0);
        entry.setMode(CpioConstants.C_ISDIR | 0755);
        entry.setNumberOfLinks(2);
        cpio.putArchiveEntry(entry);
        cpio.closeArchiveEntry();
    }

    private static void file(CpioArchiveOutputStream cpio, String name, byte[] content, int mode) throws IOException {
        CpioArchiveEntry entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, content.length);
        entry.setMode(CpioConstants.C_ISREG | mode);
        entry.setNumberOfLinks(1);
        cpio.putArchiveEntry(entry);
        cpio.write(content);
        cpio.closeArchiveEntry();
    }

    private static long treeSize(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
