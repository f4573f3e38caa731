package dev.isola.sandbox.oci;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class RootfsSkeletonsTest {
    @TempDir
    Path cache;

    @Test
    void skeleton_hasEveryMountPoint_andAWorldWritableStickyTmp() throws Exception {
        Path root = new RootfsSkeletons(cache).ensure(List.of(Path.of("/usr/bin/node"),
                Path.of("/lib/x86_64-linux-gnu/libc.so.6")));

        for (String dir : List.of("proc", "dev", "sys", "fn", "tmp")) {
            assertThat(root.resolve(dir)).isDirectory();
        }
        assertThat(root.resolve("usr/bin/node")).isRegularFile().isEmptyFile();
        assertThat(root.resolve("lib/x86_64-linux-gnu/libc.so.6")).isRegularFile().isEmptyFile();
        assertThat((int) Files.getAttribute(root.resolve("tmp"), "unix:mode") & 07777).isEqualTo(01777);
        assertThat((int) Files.getAttribute(root, "unix:mode") & 0777).isEqualTo(0755);
    }

    @Test
    void halfBuiltSkeletonsOfACrashedRun_areRemovedAtStartUp_finishedOnesKept() throws Exception {
        RootfsSkeletons skeletons = new RootfsSkeletons(cache);
        Path kept = skeletons.ensure(List.of());
        Files.createDirectories(cache.resolve(".building-12345/usr/bin"));

        new RootfsSkeletons(cache).removeUnfinished();

        assertThat(cache.resolve(".building-12345")).doesNotExist();
        assertThat(kept).isDirectory();
    }

    @Test
    void sameMountPoints_shareOneSkeleton_otherOnesGetTheirOwn() {
        RootfsSkeletons skeletons = new RootfsSkeletons(cache);
        Path go = skeletons.ensure(List.of());
        Path node = skeletons.ensure(List.of(Path.of("/usr/bin/node")));

        assertThat(new RootfsSkeletons(cache).ensure(List.of())).as("found again after a restart").isEqualTo(go);
        assertThat(skeletons.ensure(List.of(Path.of("/usr/bin/node")))).isEqualTo(node);
        assertThat(node).isNotEqualTo(go);
    }

    @Test
    void concurrentFirstStarts_buildOneSkeleton_andLeaveNoPartialOnes() throws Exception {
        Set<Path> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            // Separate instances, as separate providers (runc, crun) would be: no shared in-memory cache.
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    seen.add(new RootfsSkeletons(cache).ensure(List.of(Path.of("/etc/resolv.conf"))));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }

        assertThat(seen).hasSize(1);
        assertThat(seen.iterator().next().resolve("etc/resolv.conf")).isRegularFile();
        try (Stream<Path> entries = Files.list(cache)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactly(
                    seen.iterator().next().getFileName().toString());
        }
    }
}
