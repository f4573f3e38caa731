package dev.isola.dispatch;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The readiness callbacks of starting instances: each gets a URL with its id and a random nonce (so nothing but the
 * instance, which learnt the nonce from its environment, can mark it ready). The launcher also probes the instance
 * ({@link EndpointProbe}), so functions that never call back are found too.
 */
public final class Readiness {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, Ticket> pending = new ConcurrentHashMap<>();

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

    /** Called by the gateway's callback route. Returns whether the id and nonce matched a starting instance. */
    public boolean signal(String instanceId, String nonce) {
        Ticket ticket = pending.get(instanceId);
        if (ticket == null || !MessageDigest.isEqual(ticket.nonce().getBytes(StandardCharsets.US_ASCII),
                nonce.getBytes(StandardCharsets.US_ASCII))) {
            return false;
        }
        ticket.signalled().complete(null);
        return true;
    }
}
