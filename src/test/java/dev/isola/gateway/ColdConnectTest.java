package dev.isola.gateway;

import dev.isola.testing.IsolaServerExtension;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The first connection to a freshly started instance: the one the readiness probe opened, and one the instance
 * refuses because it called ISOLA_READY_URL before it listened (the Node.js test function, told to, signals at once
 * and listens later). Real server, real Go and Node.js processes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ColdConnectTest {
    @RegisterExtension
    static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("process");

    private TestIsola isola;

    @BeforeAll
    void start() {
        isola = SERVER.isola();
    }

    @Test
    void readyBeforeListening_coldCallIsAnsweredOnceItListens() {
        deploy("late", 300);

        HttpResponse<String> r = isola.get("/function/late/");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
        assertThat(r.headers().firstValue("X-Isola-Cold-Start")).hasValue("true");
    }

    @Test
    void readyButNeverListening_is502ThatSaysRefused_afterAboutASecond() {
        deploy("never", 120_000);

        long begin = System.nanoTime();
        HttpResponse<String> r = isola.get("/function/never/");
        long tookMillis = (System.nanoTime() - begin) / 1_000_000;

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(TestIsola.json(r).get("error").asText()).isEqualTo("instance_failed");
        assertThat(TestIsola.json(r).get("message").asText()).contains("connection refused");
        assertThat(tookMillis).as("refusals are retried for a second, then stand").isGreaterThanOrEqualTo(1_000);
    }

    @Test
    void coldCall_goesOnTheConnectionTheReadinessProbeOpened() {
        HttpResponse<String> d = isola.deploy("first", TestIsola.FUNCTIONS.resolve("probe"),
                "name: first\nruntime: go\nenv: {PROBE_NO_CALLBACK: '1'}\n");
        assertThat(d.statusCode()).as(d.body()).isEqualTo(201);

        HttpResponse<String> cold = isola.get("/function/first/connections");
        HttpResponse<String> warm = isola.get("/function/first/connections");

        assertThat(cold.headers().firstValue("X-Isola-Cold-Start")).hasValue("true");
        assertThat(cold.body()).as("connections the instance had accepted, the probe's included").isEqualTo("1");
        assertThat(warm.body()).as("and the next call reuses it").isEqualTo("1");
    }

    private void deploy(String name, int listenDelayMillis) {
        HttpResponse<String> r = isola.deploy(name, TestIsola.FUNCTIONS.resolve("node-probe"),
                "name: " + name + "\nruntime: node\nentry: index.js\nenv: {LISTEN_DELAY_MS: '" + listenDelayMillis
                        + "'}\n");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
}
