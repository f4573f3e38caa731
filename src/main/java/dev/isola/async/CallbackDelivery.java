package dev.isola.async;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Delivers a finished call's result to its {@code X-Callback-Url}: a POST with the function's answer as its body
 * (its {@code Content-Type} kept) and {@code X-Call-Id}, {@code X-Function-Name}, {@code X-Call-State} and, when the
 * function answered, {@code X-Function-Status}. Tried {@link #ATTEMPTS} times with backoff; any 2xx delivers it.
 * Redirects are not followed: a redirect could lead to a target the operator did not allow. Each attempt has
 * {@link #TIMEOUT} for the whole exchange, the answer's body included.
 */
final class CallbackDelivery {
    static final int ATTEMPTS = 3;
    /** For each attempt's whole exchange. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient client;
    private final CallbackTargets targets;
    private final CallStore store;
    private final Duration backoff;
    private final Duration timeout;

    CallbackDelivery(HttpClient client, CallbackTargets targets, CallStore store, Duration backoff, Duration timeout) {
        this.client = client;
        this.targets = targets;
        this.store = store;
        this.backoff = backoff;
        this.timeout = timeout;
    }

    /** Delivers the result of call {@code id}, if it has a callback, and records how that went. */
    void deliver(CallId id) throws InterruptedException {
        Optional<AsyncCall> found = store.find(id);
        if (found.isEmpty() || found.get().callback().isEmpty()) {
            return;
        }
        AsyncCall call = found.get();
        URI target = call.callback().get();
        // Checked again at send: the operator may have taken the host off asyncCallbackHosts since the call came.
        Optional<String> refusal = targets.refusal(target.toString()).or(() -> targets.refusalOnSend(target));
        if (refusal.isPresent()) {
            store.callbackOutcome(id, "refused: " + refusal.get());
            return;
        }
        String last = "";
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            if (attempt > 1) {
                Thread.sleep(backoff.multipliedBy(1L << (attempt - 2)));
            }
            CompletableFuture<HttpResponse<Void>> exchange =
                    client.sendAsync(request(call, target), HttpResponse.BodyHandlers.discarding());
            try {
                // The request's timeout ends at the answer's head; a target that trickles its body (or takes its
                // time to accept) would hold this delivery, and with it a delivery slot, for ever.
                int status = exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS).statusCode();
                if (status / 100 == 2) {
                    store.callbackOutcome(id, "delivered (" + status + ")");
                    return;
                }
                last = "answered " + status;
            } catch (TimeoutException e) {
                exchange.cancel(true); // aborts the exchange and closes its connection
                last = "no whole answer within " + timeout.toMillis() + " ms";
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                last = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            } catch (InterruptedException e) {
                exchange.cancel(true);
                throw e;
            }
        }
        store.callbackOutcome(id, "failed after " + ATTEMPTS + " attempts: " + last);
    }

    private HttpRequest request(AsyncCall call, URI target) {
        byte[] body = call.result().map(CallResult::body)
                .orElse(call.error().orElse("").getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("X-Call-Id", call.id().value())
                .header("X-Function-Name", call.function().value())
                .header("X-Call-State", call.state().wireName());
        call.result().ifPresent(r -> {
            request.header("X-Function-Status", Integer.toString(r.status()));
            r.headers().stream().filter(h -> h.name().toLowerCase(Locale.ROOT).equals("content-type")).findFirst()
                    .ifPresent(h -> request.header("Content-Type", h.value()));
        });
        return request.build();
    }
}
