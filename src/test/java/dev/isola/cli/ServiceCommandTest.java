package dev.isola.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code isola service}: the unit as written, the jar put in its place, and removal; the readiness message as a
 * systemd notify socket receives it. (No systemd runs as init on the test machines: enabling is not tried here.)
 */
class ServiceCommandTest {
    @TempDir
    Path tmp;

    @Test
    void install_writesAUnitThatDrainsBeforeSystemdKills_andUninstallRemovesIt() throws IOException {
        Path jar = Files.writeString(tmp.resolve("built.jar"), "not really a jar");
        Path units = tmp.resolve("units");
        Path lib = tmp.resolve("lib");

        IsolaCli.Result installed = IsolaCli.run("service", "install", "--unit-dir", units.toString(), "--lib-dir",
                lib.toString(), "--jar", jar.toString(), "--no-start", "--port", "80", "--state-dir",
                tmp.resolve("my state").toString(), "--isolation-floor", "sandbox");

        assertThat(installed.exitCode()).as(installed.err()).isZero();
        assertThat(lib.resolve("isola.jar")).hasContent("not really a jar");
        String unit = Files.readString(units.resolve("isola.service"));
        assertThat(unit).contains("Type=notify\n", "Restart=on-failure\n", "KillMode=mixed\n",
                "StandardOutput=journal\n", "WantedBy=multi-user.target\n", "LimitNOFILE=1048576\n",
                "TimeoutStopSec=60\n") // the default 30 s drain and a margin to stop the instances
                .contains("ExecStart=" + System.getProperty("java.home") + "/bin/java "
                        + "--enable-native-access=ALL-UNNAMED -jar " + lib.resolve("isola.jar").toAbsolutePath() + " serve --port=80 \"--state-dir="
                        + tmp.resolve("my state").toAbsolutePath() + "\" --isolation-floor=sandbox\n");

        IsolaCli.Result removed = IsolaCli.run("service", "uninstall", "--unit-dir", units.toString(), "--lib-dir",
                lib.toString());

        assertThat(removed.exitCode()).as(removed.err()).isZero();
        assertThat(units.resolve("isola.service")).doesNotExist();
        assertThat(lib.resolve("isola.jar")).doesNotExist();
    }

    @Test
    void install_aBadConfiguration_isRefusedBeforeAnythingIsWritten() {
        IsolaCli.Result r = IsolaCli.run("service", "install", "--unit-dir", tmp.resolve("units").toString(),
                "--lib-dir", tmp.resolve("lib").toString(), "--jar", tmp.toString(), "--no-start",
                "--isolation-floor", "walls");

        assertThat(r.exitCode()).isNotZero();
        assertThat(tmp.resolve("units")).doesNotExist();
    }

    @Test
    void notify_reachesTheSocketSystemdListensOn() throws Throwable {
        Path socket = tmp.resolve("notify");
        Process receiver = new ProcessBuilder("python3", "-c", """
                import socket, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s.bind(sys.argv[1])
                print("bound", flush=True)
                s.settimeout(20)
                print(s.recv(4096).decode(), end="", flush=True)
                """, socket.toString()).redirectErrorStream(true).start();
        try {
            assertThat(new String(receiver.getInputStream().readNBytes(6), StandardCharsets.UTF_8))
                    .isEqualTo("bound\n");

            SystemdNotify.sendTo(socket.toString(), "READY=1\nSTATUS=serving on port 8080");

            assertThat(receiver.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(receiver.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("READY=1\nSTATUS=serving on port 8080");
        } finally {
            receiver.destroyForcibly();
        }
    }
}
