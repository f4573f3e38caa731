package dev.isola.sandbox.microvm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class GenericKernelTest {
    @Test
    void moduleClosure_listsDependenciesBeforeTheModulesThatNeedThem(@TempDir Path modules) throws IOException {
        Files.writeString(modules.resolve("modules.dep"), """
                kernel/drivers/virtio/virtio_ring.ko:
                kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
                kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
                kernel/net/core/failover.ko:
                kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
                kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
                kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
                kernel/drivers/scsi/unrelated.ko:
                """);
        assertThat(GenericKernel.moduleClosure(modules)).extracting(p -> modules.relativize(p).toString())
                .containsExactly("kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko",
                        "kernel/drivers/virtio/virtio_mmio.ko", "kernel/net/core/failover.ko",
                        "kernel/drivers/net/net_failover.ko", "kernel/drivers/net/virtio_net.ko",
                        "kernel/drivers/block/virtio_blk.ko");
    }

    @Test
    void moduleClosure_skipsDriversBuiltIntoTheKernel(@TempDir Path modules) throws IOException {
        Files.writeString(modules.resolve("modules.dep"), "kernel/drivers/block/virtio_blk.ko:\n");
        assertThat(GenericKernel.moduleClosure(modules)).extracting(p -> p.getFileName().toString())
                .containsExactly("virtio_blk.ko");
    }

    @ParameterizedTest
    @CsvSource({"kernel/drivers/net/virtio_net.ko,virtio_net", "kernel/a/crc32c-intel.ko.xz,crc32c_intel",
            "/lib/modules/6.1/kernel/virtio.ko,virtio"})
    void moduleName_isTheFileNameWithoutSuffixWithUnderscores(String path, String name) {
        assertThat(GenericKernel.moduleName(path)).isEqualTo(name);
    }
}
