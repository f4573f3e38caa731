package dev.isola.async;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One attempt of a call, sent through the gateway's own port as the caller's request would have been (OpenFaaS's
 * queue worker does the same): the traffic split, the function's timeout, cold starts, metrics and invocation records
 * all apply unchanged. The function sees {@code X-Call-Id} and {@code X-Isola-Attempt}.
 */
final class CallRunner {
    /** Headers the JDK's client sets itself, or that describe the connection, not the call. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "expect", "host",
            "upgrade", "transfer-encoding", "keep-alive", "te", "trailer", "proxy-connection", "http2-settings");

    /** What an attempt came to. */
    sealed interface Outcome {
        /** The function (or the gateway on its behalf) answered. */
        record Answered(CallResult result) implements Outcome {
        }

        /** No answer: the connection failed or the attempt's timeout passed. */
        record NoAnswer(String error) implements Outcome {
        }
    }

    private final HttpClient client;
    private final URI gateway;
    private final long resultMaxBytes;

    CallRunner(HttpClient client, URI gateway, long resultMaxBytes) {
        this.client = client;
        this.gateway = gateway;
        this.resultMaxBytes = resultMaxBytes;
    }

    Outcome send(CallStore.Attempt attempt, Duration timeout) throws InterruptedException {
        CallRequest call = attempt.request();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway + "/function/"
                        + attempt.function().value() + call.target()))
                .timeout(timeout)
                .method(call.method(), call.body().length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(call.body()));
        for (Header h : call.headers()) {
            if (!NOT_FORWARDED.contains(h.name().toLowerCase(Locale.ROOT))) {
                try {
                    request.header(h.name(), h.value());
                } catch (IllegalArgumentException e) {
                    // A header the JDK's client will not send (one it owns, or a value it finds malformed): the
                    // edge took it, but the call is still worth making without it.
                }
            }
        }
        request.header("X-Call-Id", attempt.id().value());
        request.header("X-Isola-Attempt", Integer.toString(attempt.number()));
        try {
            HttpResponse<InputStream> response = client.send(request.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = response.body()) {
                body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, resultMaxBytes + 1));
            }
            boolean truncated = body.length > resultMaxBytes;
            if (truncated) {
                body = java.util.Arrays.copyOf(body, (int) resultMaxBytes);
            }
            return new Outcome.Answered(new CallResult(response.statusCode(), headers(response), body, truncated));
        } catch (HttpTimeoutException e) {
            return new Outcome.NoAnswer("no answer within " + timeout.toMillis() + " ms (async.timeout)");
        } catch (IOException e) {
            return new Outcome.NoAnswer("the call failed: " + e.getMessage());
        }
    }

    private static List<Header> headers(HttpResponse<?> response) {
        List<Header> headers = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : response.headers().map().entrySet()) {
            if (!e.getKey().startsWith(":") && !NOT_FORWARDED.contains(e.getKey().toLowerCase(Locale.ROOT))) {
                e.getValue().forEach(v -> headers.add(new Header(e.getKey(), v)));
            }
        }
        return headers;
    }
}
