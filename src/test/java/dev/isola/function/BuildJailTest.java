package dev.isola.function;

import dev.isola.config.TrustPolicy;
import dev.isola.host.CommandResult;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.Leaks;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a build of uploaded code can reach: run through the same jail as {@code go build}, a shell reports what it sees.
 */
@NoLeaks(Leaks.Scope.PROCESSES)
class BuildJailTest {
    @TempDir
    Path tmp;
    private Path state;
    private Path cache;
    private Path src;
    private Path out;
    private BuildJail jail;

    @BeforeEach
    void jail() throws Exception {
        Assumptions.assumeTrue(TrustPolicy.runningAsRoot(), "builds are jailed only when Isola runs as root");
        state = Files.createDirectories(tmp.resolve("state"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        cache = GoToolchain.sharedCache();
        src = Files.createDirectories(state.resolve("tmp/src"));
        out = Files.createDirectories(state.resolve("tmp/out"));
        jail = new BuildJail(TestHost.runner(), GoToolchain.go(), true, cache, state);
    }

    @Test
    void aBuild_runsUnprivileged_withoutNetwork_andSeesNothingOfThePlatform() throws Exception {
        Path secret = Files.writeString(tmp.resolve("secret"), "admin token");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(state.resolve("isola.db"), "manifests with env");
        try (ServerSocket host = new ServerSocket(0)) {
            String script = "id -u; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; ls -A " + state
                    + " 2>/dev/null | wc -l; cat " + secret + " 2>/dev/null || echo no-secret"
                    + "; (echo x > /dev/tcp/127.0.0.1/" + host.getLocalPort() + ") 2>/dev/null || echo no-network"
                    + "; ps -e --no-headers | wc -l; touch /mnt/cache/poison && echo wrote-cache; touch /mnt/out/fn"
                    + " && echo wrote-out; touch /usr/poison 2>/dev/null || echo no-system";
            CommandResult r = jail.run(src, out, Map.of("PATH", "/usr/bin:/bin"),
                    List.of("bash", "-c", script), Duration.ofMinutes(10), 64 * 1024);

            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output().lines().toList()).containsExactly(Integer.toString(BuildJail.BUILD_ID), "lo", "0",
                    "no-secret", "no-network", "3", "wrote-cache", "wrote-out", "no-system");
        }
        assertThat(cache.resolve("go-std/poison")).as("the shared layer is unchanged").doesNotExist();
        assertThat(out.resolve("fn")).exists();
        assertThat(Files.getAttribute(out.resolve("fn"), "unix:uid")).as("handed back").isEqualTo(0);
    }

    @Test
    void whatABuildWritesToTheHostsScratchDirectories_goesWithIt() throws Exception {
        String name = "isola-build-leftover-" + ProcessHandle.current().pid();
        List<Path> shared = List.of(Path.of("/tmp"), Path.of("/var/tmp"), Path.of("/dev/shm"));
        CommandResult r = jail.run(src, out, Map.of("PATH", "/usr/bin:/bin"), List.of("bash", "-c",
                        shared.stream().map(d -> "echo x > " + d.resolve(name)).reduce((a, b) -> a + " && " + b)
                                .orElseThrow() + " && echo written"),
                Duration.ofMinutes(1), 64 * 1024);

        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("written");
        assertThat(shared).allSatisfy(d -> assertThat(d.resolve(name)).doesNotExist());
    }

    @Test
    void aBuildTakingMoreMemoryThanItsCgroupAllows_isKilled_andItsCgroupGoesWithIt() throws Exception {
        BuildJail small = new BuildJail(TestHost.runner(), Optional.empty(), true, cache, state, 128L << 20);
        CommandResult r = small.run(src, out, Map.of("PATH", "/usr/bin:/bin"), List.of("bash", "-c",
                        "head -c 400M /dev/zero | tail -c 300M > /dev/null && echo survived"),
                Duration.ofMinutes(1), 64 * 1024);

        assertThat(r.succeeded()).as(r.output()).isFalse();
        assertThat(r.output()).doesNotContain("survived");
        for (Path hierarchy : List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/memory"),
                Path.of("/sys/fs/cgroup/pids"))) {
            Path builds = hierarchy.resolve(BuildJail.CGROUP_PARENT);
            if (Files.isDirectory(builds)) {
                try (Stream<Path> left = Files.list(builds)) {
                    assertThat(left.filter(Files::isDirectory)).as("cgroups left in " + builds).isEmpty();
                }
            }
        }
    }

    /** The default layout, {@code buildCache} = {@code <stateDir>/cache}: hiding the state hides the cache too. */
    @Test
    void aBuild_withTheCacheInsideTheStateDirectory_runsAndSeesNeither() throws Exception {
        Path inside = Files.createDirectories(state.resolve("cache"));
        BuildJail defaultLayout = new BuildJail(TestHost.runner(), Optional.empty(), true, inside, state);

        CommandResult r = defaultLayout.run(src, out, Map.of("PATH", "/usr/bin:/bin"),
                List.of("bash", "-c", "ls -A " + state + " 2>/dev/null | wc -l; ls -A " + inside
                        + " 2>/dev/null | wc -l"),
                Duration.ofMinutes(1), 64 * 1024);

        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output().lines().toList()).containsExactly("0", "0");
    }
}
