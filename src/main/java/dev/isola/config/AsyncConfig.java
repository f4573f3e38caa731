package dev.isola.config;

import java.time.Duration;
import java.util.List;

/**
 * Asynchronous calls ({@code /async-function/{name}}): the keys {@code asyncQueueLimit}, {@code asyncRetryBackoff},
 * {@code asyncCallbackHosts}, {@code asyncResultMaxBytes}, {@code asyncRetention}, {@code asyncMaxBodyBytes} and
 * {@code asyncBufferBytes}, {@code asyncQueueBytes} and {@code asyncResultBytes}.
 *
 * @param queueLimit     calls queued or running at once, all functions together; the next one is refused 429
 * @param retryBackoff   the wait before a call's second attempt; it doubles for each further one (with jitter), up
 *                       to {@link #MAX_BACKOFF}
 * @param callbackHosts  the hosts ({@code host} or {@code host:port}) that {@code X-Callback-Url} may name; empty:
 *                       no callbacks at all. Never the admin listener, whatever this says.
 * @param resultMaxBytes how much of a function's answer is stored with the call (the rest is cut, and marked so)
 * @param retention      how long finished calls are kept, and how long an {@code Idempotency-Key} names its call
 * @param maxBodyBytes   the largest request body an asynchronous call may carry (stored with the call until it
 *                       ends; {@code maxBodyBytes} applies too, whichever is lower)
 * @param bufferBytes    how many bytes of asynchronous request bodies the edge holds in memory at once, all
 *                       connections together (read, not yet stored); a call that would pass it is refused 429
 * @param queueBytes     how many bytes of request bodies the unfinished calls keep on disk, all functions together;
 *                       a call that would pass it is refused 429 (the count of calls alone let 100,000 bodies of
 *                       1 MiB fill the state disk)
 * @param resultBytes    how many bytes of results the finished calls keep on disk, all functions together; past it
 *                       the oldest finished calls are pruned before their retention ends (checked every minute)
 */
public record AsyncConfig(long queueLimit, Duration retryBackoff, List<String> callbackHosts, long resultMaxBytes,
                          Duration retention, long maxBodyBytes, long bufferBytes, long queueBytes,
                          long resultBytes) {
    public static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    public AsyncConfig {
        IsolaConfig.require(queueLimit >= 1 && queueLimit <= 100_000_000, "asyncQueueLimit",
                "must be between 1 and 100000000");
        IsolaConfig.require(retryBackoff != null && retryBackoff.compareTo(Duration.ofMillis(10)) >= 0
                && retryBackoff.compareTo(MAX_BACKOFF) <= 0, "asyncRetryBackoff", "must be between 10ms and 5m");
        callbackHosts = List.copyOf(callbackHosts);
        callbackHosts.forEach(h -> IsolaConfig.require(h.matches("[A-Za-z0-9.-]+(:\\d{1,5})?|\\[[0-9A-Fa-f:.]+](:\\d{1,5})?"),
                "asyncCallbackHosts", "must hold host names or addresses, each optionally with :port, not '" + h + "'"));
        IsolaConfig.require(resultMaxBytes >= 0 && resultMaxBytes <= 64L << 20, "asyncResultMaxBytes",
                "must be between 0 and 67108864");
        IsolaConfig.require(retention != null && retention.compareTo(Duration.ofMinutes(1)) >= 0
                && retention.compareTo(Duration.ofDays(366)) <= 0, "asyncRetention", "must be between 1m and 366 days");
        IsolaConfig.require(maxBodyBytes >= 0 && maxBodyBytes <= 64L << 20, "asyncMaxBodyBytes",
                "must be between 0 and 67108864");
        IsolaConfig.require(bufferBytes >= maxBodyBytes && bufferBytes <= 1L << 40, "asyncBufferBytes",
                "must be at least asyncMaxBodyBytes (" + maxBodyBytes + ") and at most 1 TiB");
        IsolaConfig.require(queueBytes >= maxBodyBytes && queueBytes <= 1L << 50, "asyncQueueBytes",
                "must be at least asyncMaxBodyBytes (" + maxBodyBytes + ") and at most 1 PiB");
        IsolaConfig.require(resultBytes >= resultMaxBytes && resultBytes <= 1L << 50, "asyncResultBytes",
                "must be at least asyncResultMaxBytes (" + resultMaxBytes + ") and at most 1 PiB");
    }

    /**
     * 100,000 queued calls: a few hundred MiB of disk at most for small bodies, hours of work for one function. 1 s
     * first backoff, as AWS Lambda's and OpenFaaS's retries start around it. No callback hosts: the operator names
     * them, since a callback is a request the server makes on a caller's behalf. 1 MiB of result. Seven days, as the
     * invocation records. 1 MiB of request body, as AWS Lambda's asynchronous payloads and OpenFaaS's queue (NATS's
     * default message size): a queued body is kept on disk until its call ends, where a synchronous one only
     * streams through. 64 MiB of bodies in memory: 64 full-size calls being read at once, a small share of a
     * small node's heap. 1 GiB of queued bodies on disk: a thousand full-size calls, or the whole queue of
     * bodies of 10 KiB, on a node whose state disk also holds its functions. 1 GiB of finished results likewise
     * (100,000 kept results of 1 MiB were 100 GB).
     */
    public static AsyncConfig defaults() {
        return new AsyncConfig(100_000, Duration.ofSeconds(1), List.of(), 1L << 20, Duration.ofDays(7), 1L << 20,
                64L << 20, 1L << 30, 1L << 30);
    }
}
