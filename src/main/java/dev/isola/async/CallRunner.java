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
import java.util.Arrays;
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
    /** Hop-by-hop headers, and the two the runner sets itself: a caller's own would reach the function beside them. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "expect", "host",
            "upgrade", "transfer-encoding", "keep-alive", "te", "trailer", "proxy-connection", "http2-settings",
            "x-call-id", "x-isola-attempt", "x-isola-attempt-mark");

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
    private final AttemptMark mark;
    private final long resultMaxBytes;

    CallRunner(HttpClient client, URI gateway, long resultMaxBytes, AttemptMark mark) {
        this.client = client;
        this.gateway = gateway;
        this.resultMaxBytes = resultMaxBytes;
        this.mark = mark;
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
        request.header(AttemptMark.CALL_ID, attempt.id().value());
        request.header(AttemptMark.ATTEMPT, Integer.toString(attempt.number()));
        request.header(AttemptMark.MARK, mark.value());
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            // The request's timeout ends at the answer's head; the deadline covers the body too.
            HttpResponse<InputStream> response = client.send(request.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = response.body(); Deadline cut = Deadline.at(deadline)) {
                body = readBody(in, cut);
            }
            if (body == null) {
                return timedOut(timeout);
            }
            boolean truncated = body.length > resultMaxBytes;
            if (truncated) {
                body = Arrays.copyOf(body, (int) resultMaxBytes);
            }
            return new Outcome.Answered(new CallResult(response.statusCode(), headers(response), body, truncated));
        } catch (HttpTimeoutException e) {
            return timedOut(timeout);
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted() || e.getCause() instanceof InterruptedException) {
                // The server stops: the JDK's client reports an interrupt as an IOException, and an attempt cut
                // short by a stop must not count as failed (its call goes back to the queue).
                Thread.interrupted();
                throw new InterruptedException("the attempt was interrupted: " + e.getMessage());
            }
            return new Outcome.NoAnswer("the call failed: " + e.getMessage());
        }
    }

    /** The answer's body, at most one byte past the limit; null when the deadline passed while it came. */
    private byte[] readBody(InputStream in, Deadline cut) throws IOException {
        try {
            return in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, resultMaxBytes + 1));
        } catch (IOException e) {
            if (cut.passed()) {
                return null;
            }
            throw e;
        }
    }

    private static Outcome timedOut(Duration timeout) {
        return new Outcome.NoAnswer("no answer within " + timeout.toMillis() + " ms (async.timeout)");
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
