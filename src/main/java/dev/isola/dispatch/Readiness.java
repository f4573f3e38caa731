package dev.isola.dispatch;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How starting instances become ready. Callbacks: each starting instance gets a URL with its id and a random nonce
 * (so nothing but the instance, which learnt the nonce from its environment, can mark it ready). Probes: the
 * launcher also tries to connect to the instance, with the {@link EndpointProbe} the gateway installs.
 */
public final class Readiness {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, Ticket> pending = new ConcurrentHashMap<>();
    private volatile EndpointProbe probe = (instanceId, endpoint) -> EndpointProbe.connects(endpoint);

    /** A registered expectation of one callback. */
    record Ticket(String nonce, CompletableFuture<Void> signalled) {
    }

    Ticket expect(String instanceId) {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        Ticket ticket = new Ticket(HexFormat.of().formatHex(bytes), new CompletableFuture<>());
        pending.put(instanceId, ticket);
        return ticket;
    }

    void forget(String instanceId) {
        pending.remove(instanceId);
    }

    /** Probes with {@code probe} from now on. */
    public void probeWith(EndpointProbe probe) {
        this.probe = probe;
    }

    boolean accepts(String instanceId, java.net.InetSocketAddress endpoint) {
        return probe.accepts(instanceId, endpoint);
    }

    /** Called by the gateway's callback route. Returns whether the id and nonce matched a starting instance. */
    public boolean signal(String instanceId, String nonce) {
        Ticket ticket = pending.get(instanceId);
        if (ticket == null || !java.security.MessageDigest.isEqual(ticket.nonce().getBytes(), nonce.getBytes())) {
            return false;
        }
        ticket.signalled().complete(null);
        return true;
    }
}
