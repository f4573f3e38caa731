package dev.isola.sandbox;

import dev.isola.IsolaException;
import dev.isola.config.TrustPolicy;
import dev.isola.sandbox.spi.Availability;
import dev.isola.testing.Await;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The operator, not the manifest, decides isolation: under the default floor ({@code container}, as root) a manifest
 * cannot choose the process backend or egress, and a server cannot be started on a backend below its floor. What
 * holds a function's env or output on disk is the platform's alone.
 */
@NoLeaks
class TrustBoundaryTest {
    private static final TrustPolicy ROOT_DEFAULT = new TrustPolicy("container", false, List.of());

    @BeforeAll
    static void needsRunc() {
        Availability runc = TestHost.probe("runc");
        Assumptions.assumeTrue(runc.runs(), () -> "runc unavailable: " + runc.describe());
    }

    @Test
    void underTheDefaultFloor_aManifestCannotChooseTheProcessBackendOrEgress() throws Exception {
        try (TestIsola isola = TestIsola.start("runc", c -> c.withTrust(ROOT_DEFAULT))) {
            HttpResponse<String> process = isola.deploy("t-process", TestIsola.FUNCTIONS.resolve("probe"),
                    "name: t-process\nruntime: go\nbackend: process\n");
            assertThat(process.statusCode()).as(process.body()).isEqualTo(400);
            assertThat(TestIsola.json(process).get("error").asText()).isEqualTo("not_permitted");
            assertThat(TestIsola.json(process).get("message").asText()).contains("isolation floor 'container'");

            HttpResponse<String> egress = isola.deploy("t-egress", TestIsola.FUNCTIONS.resolve("probe"),
                    "name: t-egress\nruntime: go\negress: true\n");
            assertThat(egress.statusCode()).as(egress.body()).isEqualTo(400);
            assertThat(TestIsola.json(egress).get("message").asText()).contains("allowEgress");

            assertThat(isola.get("/system/functions/t-process").statusCode()).as("nothing kept").isIn(401, 404);
            HttpResponse<String> contained = isola.deploy("t-runc", TestIsola.FUNCTIONS.resolve("probe"),
                    "name: t-runc\nruntime: go\nscaling: {maxInstances: 1}\nenv: {SECRET: s3cret}\n");
            assertThat(contained.statusCode()).as(contained.body()).isEqualTo(201);
            assertThat(isola.get("/function/t-runc/").statusCode()).isEqualTo(200);

            assertThat(Files.getPosixFilePermissions(isola.stateDir()))
                    .as("the state directory is the platform's alone")
                    .isEqualTo(PosixFilePermissions.fromString("rwx------"));
            Path log = isola.stateDir().resolve("logs/t-runc.log");
            Await.until(Duration.ofSeconds(10), () -> Files.exists(log), "the function's first log line");
            List<Path> secretHolders = new ArrayList<>(List.of(isola.stateDir().resolve("isola.db"), log));
            try (Stream<Path> files = Files.walk(isola.stateDir().resolve("run"))) {
                files.filter(f -> f.getFileName().toString().equals("config.json")).forEach(secretHolders::add);
            }
            assertThat(secretHolders).as("database, log and the running container's OCI config").hasSize(3);
            for (Path file : secretHolders) {
                assertThat(Files.getPosixFilePermissions(file)).as(file + " holds the env or the output")
                        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            }
        }
    }

    @Test
    void aFunctionStoredWithEgress_doesNotStart_onceTheOperatorTurnsEgressOff() {
        try (TestIsola isola = TestIsola.start("runc")) { // the tests' operator allows egress
            HttpResponse<String> stored = isola.deploy("t-stored", TestIsola.FUNCTIONS.resolve("probe"),
                    "name: t-stored\nruntime: go\negress: true\nscaling: {maxInstances: 1}\n");
            assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);

            isola.restartWith(c -> c.withTrust(ROOT_DEFAULT));
            HttpResponse<String> call = isola.get("/function/t-stored/");
            assertThat(call.statusCode()).as(call.body()).isEqualTo(502);
            assertThat(TestIsola.json(call).get("message").asText()).contains("allowEgress");
            assertThat(isola.instances()).as("no instance with egress").isEmpty();
        }
    }

    @Test
    void aServerCannotDefaultToABackendBelowItsFloor() {
        assertThatThrownBy(() -> TestIsola.start("process", c -> c.withTrust(ROOT_DEFAULT)).close())
                .isInstanceOf(IsolaException.class).hasMessageContaining("isolation floor 'container'");
    }
}
