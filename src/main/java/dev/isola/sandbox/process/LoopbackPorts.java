package dev.isola.sandbox.process;

import dev.isola.sandbox.spi.SandboxException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Loopback ports for process instances: from below the kernel's ephemeral range ({@code ip_local_port_range}), tried
 * in turn and checked free by binding them, and remembered until the instance is closed, so no two live instances
 * ever get one port. Below the ephemeral range because a port is free only until the child binds it: the platform's
 * own outgoing connections (readiness probes, the proxy's upstream connections) take ephemeral ports, and in a burst
 * of starts one of them would take a port just handed to a child (measured: a few failed starts per 100-instance
 * burst with ports from bind(0)); and a readiness probe whose source port equals its destination connects to itself
 * (TCP simultaneous open). Another program could still take a port in between; the child then fails to bind, exits,
 * and the dispatcher reports a failed start with its output.
 */
final class LoopbackPorts {
    private static final int ATTEMPTS = 1000;
    private static final int LOWEST_PORT = 10_000;
    private static final Path PORT_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    private final Set<Integer> handedOut = ConcurrentHashMap.newKeySet();
    private final AtomicInteger next = new AtomicInteger();

    /** A port no live instance holds and that was free a moment ago; {@link #release} it when the instance stops. */
    int take(String instanceId) {
        int ephemeralLow = ephemeralLow();
        if (ephemeralLow - LOWEST_PORT < ATTEMPTS) {
            return kernelChosenPort(instanceId);
        }
        int span = ephemeralLow - LOWEST_PORT;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int port = LOWEST_PORT + Math.floorMod(next.getAndIncrement(), span);
            if (handedOut.add(port)) {
                if (bindable(port)) {
                    return port;
                }
                handedOut.remove(port);
            }
        }
        throw new SandboxException("Failed to reserve a loopback port for instance " + instanceId + ": no free port in "
                + ATTEMPTS + " attempts between " + LOWEST_PORT + " and " + ephemeralLow);
    }

    void release(int port) {
        handedOut.remove(port);
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The low end of the kernel's ephemeral port range (32768 by default). Read by lines, not with
     * {@code Files.readString}: a numeric sysctl reports size 0 and answers only a read at offset 0, so the JDK's
     * read of a size-0 file gets its first byte alone ("3").
     */
    static int ephemeralLow() {
        try {
            return Integer.parseInt(Files.readAllLines(PORT_RANGE).getFirst().trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    /** Where no room is left below the ephemeral range: a port the kernel picks, remembered like the others. */
    private int kernelChosenPort(String instanceId) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (handedOut.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new SandboxException("Failed to reserve a loopback port for instance " + instanceId + ": "
                        + e.getMessage(), e);
            }
        }
        throw new SandboxException("Failed to reserve a loopback port for instance " + instanceId + ": every port "
                + "offered in " + ATTEMPTS + " attempts belongs to a live instance");
    }
}
