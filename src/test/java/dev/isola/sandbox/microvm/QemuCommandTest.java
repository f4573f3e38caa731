package dev.isola.sandbox.microvm;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command lines of templates and clones ({@link QemuCommand}, {@link VmTemplates}); real clones run in
 * MicrovmContractTest.
 */
class QemuCommandTest {
    private static final Path VMEXEC = Path.of("/c/vmexec-abc/vmexec");
    private static final GuestKernel KERNEL = new GuestKernel("minimal", Path.of("/k/vmlinux"), false, List.of(), "6.1");
    private static final GuestImages.Images IMAGES = new GuestImages.Images(Path.of("/s/v1.microvm/root.ext4"),
            Path.of("/s/v1.microvm/initrd.cpio"));
    private static final VmTemplates.Key KEY = new VmTemplates.Key(IMAGES, KERNEL, Path.of("/c/init-abc/init"), 256,
            Accelerator.TCG);

    /** A saved state loads only into a QEMU with the same devices: a template and its clone differ elsewhere only. */
    @Test
    void aCloneHasItsTemplatesDevices_andDiffersOnlyInMemorySharingNetworkBackendAndIncoming() {
        Path memory = KEY.dir().resolve("memory");
        List<String> template = new QemuCommand(VMEXEC, KERNEL, IMAGES, Accelerator.TCG, 32, 256,
                VmTemplates.cmdline(KEY), Optional.empty(), "02:00:c0:00:02:02", Path.of("/run/tpl.1"),
                Optional.of(new QemuCommand.Memory(memory, true)), false).argv(Path.of("/run/tpl.1/console.log"));
        List<String> clone = new QemuCommand(VMEXEC, KERNEL, IMAGES, Accelerator.TCG, 32, 256,
                VmTemplates.cmdline(KEY), Optional.of("it1"), "52:54:0a:c8:00:05", Path.of("/run/fn.1"),
                Optional.of(new QemuCommand.Memory(memory, false)), true).argv(Path.of("/run/fn.1/console.log"));

        assertThat(devices(clone)).isEqualTo(devices(template));
        assertThat(value(template, "-append")).isEqualTo(value(clone, "-append")).contains("isola.template=1")
                .doesNotContain("isola.ready").doesNotContain("isola.instance");
        assertThat(value(template, "-object")).endsWith("mem-path=" + memory.toAbsolutePath() + ",share=on");
        assertThat(value(clone, "-object")).endsWith("mem-path=" + memory.toAbsolutePath() + ",share=off");
        assertThat(value(clone, "-M")).isEqualTo(value(template, "-M")).endsWith(",memory-backend=mem");
        assertThat(clone).containsSequence("-incoming", "defer");
        assertThat(template).doesNotContain("-incoming");
        assertThat(value(template, "-netdev")).isEqualTo("hubport,id=net0,hubid=0");
        assertThat(template.subList(0, template.indexOf("--"))).containsExactly(VMEXEC.toString(),
                "-console", "/run/tpl.1/console.log", "-pidfile", "/run/tpl.1/qemu.pid");
        // The clone's guest set up its virtio-net against the template's hub port: no offloads on its tap either.
        assertThat(value(clone, "-netdev")).isEqualTo("tap,id=net0,fd=4");
        assertThat(clone.subList(0, clone.indexOf("--"))).containsExactly(VMEXEC.toString(),
                "-console", "/run/fn.1/console.log", "-pidfile", "/run/fn.1/qemu.pid", "-tap", "it1", "-fd", "4");
    }

    @Test
    void aBootedVmHasNeitherTheMemoryFileNorTheIdentityPort() {
        List<String> booted = new QemuCommand(VMEXEC, KERNEL, IMAGES, Accelerator.TCG, 32, 256,
                List.of("console=ttyS0"), Optional.of("it1"), "52:54:0a:c8:00:05", Path.of("/run/fn.1"),
                Optional.empty(), false).argv(Path.of("/run/fn.1/console.log"));
        assertThat(booted).doesNotContain("-object", "-chardev", "-incoming");
        assertThat(value(booted, "-M")).isEqualTo("microvm,acpi=off");
        // QEMU's own -pidfile would name pid 1 of its namespace: vmexec writes the host's view instead.
        assertThat(booted.subList(booted.indexOf("--"), booted.size())).doesNotContain("-pidfile");
        assertThat(booted.subList(0, booted.indexOf("--"))).containsExactly(VMEXEC.toString(),
                "-console", "/run/fn.1/console.log", "-pidfile", "/run/fn.1/qemu.pid", "-tap", "it1", "-fd", "4",
                "-vnet-hdr");
        assertThat(value(booted, "-netdev")).isEqualTo("tap,id=net0,fd=4");
    }

    /** Distinct per clone: seed and time are fresh on every line, and every field the guest init reads is there. */
    @Test
    void identity_namesEveryFieldTheInitReads_withAFreshSeedEachTime() throws UnknownHostException {
        VmTemplates.Identity identity = new VmTemplates.Identity(InetAddress.getByName("10.200.0.9"), 16,
                InetAddress.getByName("10.200.0.1"), "52:54:0a:c8:00:09", URI.create("http://10.200.0.1:1/_/ready/x"));
        String first = identity.line();
        String second = identity.line();
        assertThat(first).endsWith("\n").contains("isola.ip=10.200.0.9 ", "isola.prefix=16 ", "isola.gw=10.200.0.1 ",
                "isola.mac=52:54:0a:c8:00:09 ", "isola.ready=http://10.200.0.1:1/_/ready/x ", "isola.time=");
        assertThat(first).matches("(?s).*isola\\.seed=[0-9a-f]{64}\n");
        assertThat(seed(first)).isNotEqualTo(seed(second));
    }

    private static String seed(String line) {
        return line.substring(line.indexOf("isola.seed=")).strip();
    }

    private static String value(List<String> argv, String option) {
        return argv.get(argv.indexOf(option) + 1);
    }

    /** The guest-visible hardware: machine, memory size, CPUs and every -device. */
    private static List<String> devices(List<String> argv) {
        List<String> devices = new ArrayList<>(List.of(value(argv, "-M"), value(argv, "-m"), value(argv, "-smp")));
        for (int i = 0; i < argv.size() - 1; i++) {
            if (argv.get(i).equals("-device")) {
                devices.add(argv.get(i + 1).replaceAll(",mac=[0-9a-f:]+", ""));
            }
        }
        return devices;
    }
}
