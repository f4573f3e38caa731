package dev.isola.sandbox.microvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.function.Artifact;
import dev.isola.function.Runtime;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Assumptions;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GuestImagesTest {
    @Test
    void ensure_buildsRootDiskAndInitramfsOnceBesideTheVersion(@TempDir Path dir) throws IOException {
        Assumptions.assumeTrue(TestHost.runner().executables().has("mke2fs"), "mke2fs (e2fsprogs) is not installed");
        GuestImages builder = new GuestImages(TestHost.runner());
        Path version = Files.createDirectories(dir.resolve("functions/fn/v1"));
        Files.writeString(version.resolve("fn"), "#!/bin/sh\n");
        Path init = Files.createDirectories(dir.resolve("init-abc")).resolve("init");
        Files.write(init, new byte[]{0x7f, 'E', 'L', 'F'});
        Path module = Files.writeString(dir.resolve("virtio_net.ko"), "module");
        GuestKernel kernel = new GuestKernel(GuestKernel.GENERIC, dir.resolve("vmlinuz"), true, List.of(module), "6.1");
        Map<String, String> env = Map.of("GREETING", "hi", "ISOLA_READY_URL", "http://127.0.0.1:1/_/ready/x/y",
                "ISOLA_INSTANCE", "fn.0123456789", "ISOLA_FUNCTION", "fn");

        GuestImages.Images images = builder.ensure(new Artifact(Runtime.BINARY, version, List.of("./fn", "-v")),
                kernel, init, env, false, 7024);

        assertThat(images.rootDisk()).isEqualTo(dir.resolve("functions/fn/v1.microvm/root.ext4")).isRegularFile();
        assertThat(Files.size(images.rootDisk())).isGreaterThanOrEqualTo(16L << 20);
        assertThat(Files.getPosixFilePermissions(images.initramfs())).as("it holds the function's env")
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Map<String, CpioArchiveEntry> entries = new HashMap<>();
        Map<String, byte[]> contents = new HashMap<>();
        try (InputStream in = Files.newInputStream(images.initramfs());
             CpioArchiveInputStream cpio = new CpioArchiveInputStream(in)) {
            for (CpioArchiveEntry e = cpio.getNextCPIOEntry(); e != null; e = cpio.getNextCPIOEntry()) {
                entries.put(e.getName(), e);
                contents.put(e.getName(), cpio.readAllBytes());
            }
        }
        assertThat(entries).containsKeys("init", "isola/config.json", "dev/console", "rootfs",
                "lib/modules/virtio_net.ko");
        assertThat(entries.get("dev/console").isCharacterDevice()).isTrue();
        assertThat(entries.get("dev/console").getRemoteDeviceMaj()).isEqualTo(5);
        assertThat(entries.get("init").getMode() & 0777).isEqualTo(0755);
        JsonNode config = new ObjectMapper().readTree(contents.get("isola/config.json"));
        assertThat(config.get("argv").toString()).isEqualTo("[\"/fn/fn\",\"-v\"]");
        assertThat(config.get("uid").asInt()).as("nobody").isEqualTo(65534);
        assertThat(config.get("modules").toString()).isEqualTo("[\"/lib/modules/virtio_net.ko\"]");
        assertThat(config.get("openFiles").asInt()).isEqualTo(7024);
        assertThat(config.get("env").toString()).contains("GREETING=hi", "ISOLA_FUNCTION=fn", "PORT=8080")
                .as("per-instance values travel on the kernel command line").doesNotContain("ISOLA_READY_URL")
                .doesNotContain("ISOLA_INSTANCE");

        long built = Files.getLastModifiedTime(images.rootDisk()).toMillis();
        builder.ensure(new Artifact(Runtime.BINARY, version, List.of("./fn", "-v")), kernel, init, env, false, 7024);
        assertThat(Files.getLastModifiedTime(images.rootDisk()).toMillis()).as("cached").isEqualTo(built);
    }
}
