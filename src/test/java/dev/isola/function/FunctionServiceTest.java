package dev.isola.function;

import dev.isola.config.TrustPolicy;
import dev.isola.testing.TestHost;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.isola.store.Store;
import dev.isola.testing.Leaks;
import dev.isola.testing.NoLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@NoLeaks(Leaks.Scope.PROCESSES)
class FunctionServiceTest {
    private static final FunctionName HELLO = FunctionName.of("hello");
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    @TempDir
    Path state;
    private Store store;
    private FunctionService service;

    @BeforeEach
    void start() {
        store = Store.open(state.resolve("isola.db"));
        service = service(FunctionBuilder.create(TestHost.runner(), GoToolchain.sharedCache(), state, TrustPolicy.runningAsRoot()));
    }

    @AfterEach
    void stop() {
        store.close();
    }

    private FunctionService service(FunctionBuilder builder) {
        return new LocalFunctionService(state, store, builder, ArchiveLimits.DEFAULT, DeployPolicy.ANY,
                InstantSource.fixed(NOW));
    }

    private static byte[] nodeZip(String name, String message) {
        return TestArchives.zip()
                .file("function.yaml", "name: " + name + "\nruntime: node\nenv: {MESSAGE: " + message + "}\n")
                .file("index.js", "console.log(process.env.MESSAGE)\n")
                .file("lib/helper.js", "module.exports = 1\n")
                .bytes();
    }

    private DeployResult deploy(FunctionName name, byte[] archive) {
        return service.deploy(name, new ByteArrayInputStream(archive));
    }

    @Test
    void deploy_goFunction_buildsServesAndRecords() throws Exception {
        Assumptions.assumeTrue(GoToolchain.installed(), "go not installed");
        byte[] zip = TestArchives.zip()
                .file("function.yaml", "name: hello\nruntime: go\nlimits: {memory: 128Mi}\n")
                .file("main.go", FunctionBuilderTest.GO_HTTP_SERVER)
                .bytes();

        DeployResult result = deploy(HELLO, zip);

        DeployedFunction fn = result.function();
        assertThat(result.created()).isTrue();
        assertThat(fn.name()).isEqualTo(HELLO);
        assertThat(fn.version()).isEqualTo(1);
        assertThat(fn.deployedAt()).isEqualTo(NOW);
        assertThat(fn.manifest().limits().memoryBytes()).isEqualTo(128L << 20);
        assertThat(fn.sourceSha256()).isEqualTo(sha256(zip));
        assertThat(fn.artifact().root()).isEqualTo(state.resolve("functions/hello/v1"));
        assertThat(fn.artifact().argv()).containsExactly("./fn");
        assertThat(FunctionBuilderTest.serve(fn.artifact())).isEqualTo("hello from go");
        assertThat(store.latest(HELLO)).hasValueSatisfying(row -> {
            assertThat(row.runtime()).isEqualTo("go");
            assertThat(row.manifestYaml()).contains("memory: 128Mi");
        });
        assertThat(state.resolve("tmp")).isEmptyDirectory();
    }

    @Test
    void deploy_nodeFunction_copiesSourcesIntoVersionDirectory() {
        DeployResult result = deploy(HELLO, nodeZip("hello", "hi"));

        Artifact artifact = result.function().artifact();
        assertThat(artifact.argv()).containsExactly("node", "index.js");
        assertThat(artifact.root().resolve("index.js")).exists();
        assertThat(artifact.root().resolve("lib/helper.js")).exists();
        assertThat(artifact.root().resolve("function.yaml")).doesNotExist();
        assertThat(result.function().manifest().env()).containsEntry("MESSAGE", "hi");
        assertThat(state.resolve("tmp")).isEmptyDirectory();
    }

    @Test
    void deploy_zippedFolder_isUnwrapped() {
        byte[] zip = TestArchives.zip()
                .dir("hello")
                .file("hello/function.yaml", "name: hello\nruntime: node\n")
                .file("hello/index.js", "1")
                .bytes();

        assertThat(deploy(HELLO, zip).function().artifact().root().resolve("index.js")).exists();
    }

    @Test
    void aStagedDeploy_keepsTheActiveVersionServing_untilItIsActivated() {
        deploy(HELLO, nodeZip("hello", "one"));

        DeployResult staged = service.deploy(HELLO, new ByteArrayInputStream(nodeZip("hello", "two")), false);

        assertThat(staged.active()).isFalse();
        assertThat(staged.function().version()).isEqualTo(2);
        assertThat(service.current(HELLO)).hasValueSatisfying(fn -> assertThat(fn.version()).isEqualTo(1));
        assertThat(service.loadAll()).extracting(DeployedFunction::version).containsExactly(1);

        assertThat(service.activate(HELLO, OptionalInt.of(2))).hasValueSatisfying(fn -> {
            assertThat(fn.version()).isEqualTo(2);
            assertThat(fn.manifest().env()).containsEntry("MESSAGE", "two");
        });
        assertThat(service.current(HELLO)).hasValueSatisfying(fn -> assertThat(fn.version()).isEqualTo(2));
        assertThat(service.previous(HELLO)).hasValue(1);
    }

    @Test
    void theFirstVersion_isActiveEvenWhenStaged() {
        DeployResult first = service.deploy(HELLO, new ByteArrayInputStream(nodeZip("hello", "one")), false);

        assertThat(first.active()).isTrue();
        assertThat(service.current(HELLO)).isPresent();
    }

    @Test
    void aRollback_goesBackToThePreviouslyActiveVersion_andAgainForward() {
        deploy(HELLO, nodeZip("hello", "one"));
        deploy(HELLO, nodeZip("hello", "two"));

        assertThat(service.activate(HELLO, OptionalInt.empty())).hasValueSatisfying(fn ->
                assertThat(fn.version()).isEqualTo(1));
        assertThat(service.previous(HELLO)).hasValue(2);
        assertThat(service.activate(HELLO, OptionalInt.empty())).hasValueSatisfying(fn ->
                assertThat(fn.version()).isEqualTo(2));
    }

    @Test
    void aRollback_toAVersionNotStored_orWithNothingBefore_isVersionNotFound_andChangesNothing() {
        deploy(HELLO, nodeZip("hello", "one"));

        assertThatThrownBy(() -> service.activate(HELLO, OptionalInt.empty()))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("version_not_found"))
                .hasMessageContaining("no previous version");
        assertThatThrownBy(() -> service.activate(HELLO, OptionalInt.of(9)))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("version_not_found"))
                .hasMessageContaining("no version 9 (stored: v1)");
        assertThat(service.current(HELLO)).hasValueSatisfying(fn -> assertThat(fn.version()).isEqualTo(1));
        assertThat(service.activate(FunctionName.of("nobody"), OptionalInt.of(1))).isEmpty();
    }

    @Test
    void aSplit_routesTheStoredVersionsByWeight_theLargestShareBeingActive() {
        deploy(HELLO, nodeZip("hello", "one"));
        deploy(HELLO, nodeZip("hello", "two"));

        List<TrafficShare> shares = service.split(HELLO, Map.of(1, 90, 2, 10));

        assertThat(shares).extracting(s -> s.function().version() + "=" + s.weight()).containsExactly("1=90", "2=10");
        assertThat(service.routing(HELLO)).isEqualTo(shares);
        assertThat(service.current(HELLO)).hasValueSatisfying(fn -> assertThat(fn.version()).isEqualTo(1));

        assertThat(service.split(HELLO, Map.of(1, 0, 2, 100))).as("a split to one version activates it")
                .extracting(s -> s.function().version() + "=" + s.weight()).containsExactly("2=100");
        assertThat(service.current(HELLO)).hasValueSatisfying(fn -> assertThat(fn.version()).isEqualTo(2));
    }

    @Test
    void aSplit_withBadWeightsOrVersions_isRefusedAndChangesNothing() {
        deploy(HELLO, nodeZip("hello", "one"));
        deploy(HELLO, nodeZip("hello", "two"));

        assertThatThrownBy(() -> service.split(HELLO, Map.of(1, 50, 2, 40)))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_parameter"))
                .hasMessageContaining("add up to 100, not 90");
        assertThatThrownBy(() -> service.split(HELLO, Map.of(1, 150, 2, -50)))
                .hasMessageContaining("must be a percentage");
        assertThatThrownBy(() -> service.split(HELLO, Map.of(1, 50, 7, 50)))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("version_not_found"))
                .hasMessageContaining("no version 7 (stored: v1, v2)");
        assertThat(service.routing(HELLO)).extracting(s -> s.function().version() + "=" + s.weight())
                .containsExactly("2=100");
    }

    @Test
    void pruning_neverRemovesTheActiveVersion() {
        deploy(HELLO, nodeZip("hello", "one"));
        for (int i = 0; i < 6; i++) {
            service.deploy(HELLO, new ByteArrayInputStream(nodeZip("hello", "staged" + i)), false);
        }

        assertThat(service.versions(HELLO)).extracting(FunctionVersion::version).containsExactly(1, 3, 4, 5, 6, 7);
        assertThat(service.current(HELLO)).hasValueSatisfying(fn -> assertThat(fn.version()).isEqualTo(1));
        assertThat(state.resolve("functions/hello/v1")).isDirectory();
        assertThat(state.resolve("functions/hello/v2")).doesNotExist();
    }

    @Test
    void deploy_again_createsVersionTwoAndKeepsVersionOne() {
        deploy(HELLO, nodeZip("hello", "one"));

        DeployResult second = deploy(HELLO, nodeZip("hello", "two"));

        assertThat(second.created()).isFalse();
        assertThat(second.function().version()).isEqualTo(2);
        assertThat(service.current(HELLO)).hasValueSatisfying(fn -> {
            assertThat(fn.version()).isEqualTo(2);
            assertThat(fn.manifest().env()).containsEntry("MESSAGE", "two");
        });
        assertThat(service.versions(HELLO)).extracting(FunctionVersion::version).containsExactly(1, 2);
        assertThat(state.resolve("functions/hello/v1")).isDirectory();
        assertThat(state.resolve("functions/hello/v2")).isDirectory();
    }

    @Test
    void deploy_nameMismatch_isRejectedAndLeavesNothing() {
        assertThatThrownBy(() -> deploy(HELLO, nodeZip("other", "x")))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("name_mismatch"))
                .hasMessageContaining("'other'").hasMessageContaining("'hello'");

        assertNothingDeployed();
    }

    @Test
    void deploy_withoutManifest_isRejected() {
        byte[] zip = TestArchives.zip().file("index.js", "1").bytes();

        assertThatThrownBy(() -> deploy(HELLO, zip))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_manifest"))
                .hasMessage("function.yaml not found at the archive root");
        assertNothingDeployed();
    }

    @Test
    void deploy_maliciousArchive_isRejectedAndLeavesNothing() {
        byte[] zip = TestArchives.zip().file("function.yaml", "name: hello\nruntime: node\n")
                .file("../../escape.js", "x").bytes();

        assertThatThrownBy(() -> deploy(HELLO, zip))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_archive"));
        assertNothingDeployed();
        assertThat(state.getParent().resolve("escape.js")).doesNotExist();
    }

    @Test
    void deploy_failingGoBuild_leavesNoDirectoryAndNoRow() {
        Assumptions.assumeTrue(GoToolchain.installed(), "go not installed");
        byte[] zip = TestArchives.zip()
                .file("function.yaml", "name: hello\nruntime: go\n")
                .file("main.go", "package main\n\nfunc main() { missing() }\n")
                .bytes();

        assertThatThrownBy(() -> deploy(HELLO, zip))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("undefined: missing");
        assertNothingDeployed();
    }

    @Test
    void deploy_binaryWithoutEntry_failsBuildAndLeavesNothing() {
        byte[] zip = TestArchives.zip().file("function.yaml", "name: hello\nruntime: binary\nentry: server\n").bytes();

        assertThatThrownBy(() -> deploy(HELLO, zip)).isInstanceOf(BuildFailedException.class);
        assertNothingDeployed();
    }

    @Test
    void restart_reopenedStoreAndNewService_stillListFunction() {
        DeployedFunction deployed = deploy(HELLO, nodeZip("hello", "persisted")).function();
        deploy(FunctionName.of("another"), nodeZip("another", "x"));
        store.close();

        store = Store.open(state.resolve("isola.db"));
        service = service(FunctionBuilder.create(TestHost.runner(), GoToolchain.sharedCache(), state, TrustPolicy.runningAsRoot()));

        assertThat(service.loadAll()).extracting(DeployedFunction::name)
                .containsExactly(FunctionName.of("another"), HELLO);
        assertThat(service.list()).hasSize(2);
        assertThat(service.current(HELLO)).contains(deployed);
    }

    @Test
    void delete_removesRowsAndFilesOfAllVersions() {
        deploy(HELLO, nodeZip("hello", "1"));
        deploy(HELLO, nodeZip("hello", "2"));

        assertThat(service.delete(HELLO)).isTrue();

        assertThat(state.resolve("functions/hello")).doesNotExist();
        assertThat(service.current(HELLO)).isEmpty();
        assertThat(service.versions(HELLO)).isEmpty();
        assertThat(service.list()).isEmpty();
        assertThat(service.delete(HELLO)).isFalse();
    }

    @Test
    void deploy_afterDelete_isCreatedWithAFreshVersionNumber() {
        deploy(HELLO, nodeZip("hello", "1"));
        service.delete(HELLO);

        DeployResult again = deploy(HELLO, nodeZip("hello", "2"));

        assertThat(again.created()).isTrue();
        assertThat(again.function().version()).isEqualTo(2);
    }

    @Test
    void loadAll_removesOrphanedDirectoriesAndStaleTemporaries() throws IOException {
        deploy(HELLO, nodeZip("hello", "1"));
        Files.createDirectories(state.resolve("functions/hello/v7"));
        Files.createDirectories(state.resolve("functions/ghost/v1"));
        Files.createDirectories(state.resolve("tmp/hello-crashed/src"));

        service = service(FunctionBuilder.create(TestHost.runner(), GoToolchain.sharedCache(), state, TrustPolicy.runningAsRoot()));
        List<DeployedFunction> loaded = service.loadAll();

        assertThat(loaded).extracting(DeployedFunction::version).containsExactly(1);
        assertThat(state.resolve("functions/hello/v1")).isDirectory();
        assertThat(state.resolve("functions/hello/v7")).doesNotExist();
        assertThat(state.resolve("functions/ghost")).doesNotExist();
        assertThat(state.resolve("tmp")).isEmptyDirectory();
    }

    @Test
    void deploy_sameNameConcurrently_getsDistinctVersions() throws Exception {
        List<Callable<DeployResult>> deploys = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            byte[] zip = nodeZip("hello", "n" + i);
            deploys.add(() -> deploy(HELLO, zip));
        }

        List<DeployResult> results = new ArrayList<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<DeployResult> f : executor.invokeAll(deploys)) {
                results.add(f.get());
            }
        }

        assertThat(results).extracting(r -> r.function().version()).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6);
        assertThat(results).filteredOn(DeployResult::created).hasSize(1);
        assertThat(service.versions(HELLO)).extracting(FunctionVersion::version)
                .containsExactly(2, 3, 4, 5, 6); // the newest LocalFunctionService.KEPT_VERSIONS
        assertThat(state.resolve("functions/hello/v1")).doesNotExist();
        assertThat(state.resolve("functions/hello/v6")).isDirectory();
    }

    @Test
    void deploy_differentNames_buildInParallel() throws Exception {
        // Both builds must be inside the builder at once to pass the barrier; serialised deploys would time out.
        CyclicBarrier bothBuilding = new CyclicBarrier(2);
        FunctionBuilder real = FunctionBuilder.create(TestHost.runner(), GoToolchain.sharedCache(), state, TrustPolicy.runningAsRoot());
        service = service((manifest, sources, out) -> {
            try {
                bothBuilding.await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("builds did not overlap", e);
            }
            return real.build(manifest, sources, out);
        });

        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<DeployResult> a = executor.submit(() -> deploy(FunctionName.of("aa"), nodeZip("aa", "x")));
            Future<DeployResult> b = executor.submit(() -> deploy(FunctionName.of("bb"), nodeZip("bb", "y")));

            assertThat(a.get().created()).isTrue();
            assertThat(b.get().created()).isTrue();
        }
    }

    private void assertNothingDeployed() {
        assertThat(service.versions(HELLO)).isEmpty();
        assertThat(service.current(HELLO)).isEmpty();
        assertThat(state.resolve("functions/hello")).satisfiesAnyOf(
                p -> assertThat(p).doesNotExist(),
                p -> assertThat(p).isEmptyDirectory());
        assertThat(state.resolve("tmp")).isEmptyDirectory();
        try (Stream<Path> files = Files.list(state.resolve("functions"))) {
            assertThat(files.filter(Files::isDirectory).flatMap(FunctionServiceTest::children)).isEmpty();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Stream<Path> children(Path dir) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList().stream();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
