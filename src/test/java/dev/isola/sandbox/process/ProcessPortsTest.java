package dev.isola.sandbox.process;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Instance ports come from below the kernel's ephemeral range. A port inside it can be taken by the platform's own
 * outgoing connections, and a readiness probe whose source port happens to equal its destination connects to itself
 * (TCP simultaneous open) and declares an instance ready that does not listen yet.
 */
class ProcessPortsTest {
    @Test
    void ephemeralLow_isTheKernelsSetting() throws Exception {
        assertThat(LoopbackPorts.ephemeralLow()).isEqualTo(kernelEphemeralLow());
    }

    @Test
    void instancePorts_areBelowTheEphemeralRange_andNeverHandedOutTwice() throws Exception {
        int low = kernelEphemeralLow();
        LoopbackPorts loopback = new LoopbackPorts();
        Set<Integer> ports = new HashSet<>();
        try {
            for (int i = 0; i < 200; i++) {
                int port = loopback.take("test-" + i);
                assertThat(ports.add(port)).as("port %d handed out twice", port).isTrue();
                assertThat(port).isLessThan(low);
            }
        } finally {
            ports.forEach(loopback::release);
        }
    }

    /** What cat(1) reads: the sysctl as the kernel shows it to any program. */
    private static int kernelEphemeralLow() throws IOException, InterruptedException {
        Process cat = new ProcessBuilder("cat", "/proc/sys/net/ipv4/ip_local_port_range").start();
        String text = new String(cat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(cat.waitFor()).isZero();
        return Integer.parseInt(text.trim().split("\\s+")[0]);
    }
}
