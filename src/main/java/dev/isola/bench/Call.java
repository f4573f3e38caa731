package dev.isola.bench;

import dev.isola.bench.result.Sample;

/**
 * The outcome of one invocation as a client saw it.
 *
 * @param status     ok for a 2xx answer; timeout for a client deadline or the gateway's 504; error otherwise
 * @param millis     request completion time, from sending to the last byte of the body
 * @param httpStatus the HTTP status, 0 when there was no answer
 * @param body       the body as text (benchmarks only call functions with short answers)
 * @param coldStart  the gateway's {@code X-Isola-Cold-Start} header said {@code true}
 * @param error      what went wrong; empty when ok
 */
record Call(Sample.Status status, double millis, int httpStatus, String body, boolean coldStart, String error) {
    boolean ok() {
        return status == Sample.Status.OK;
    }
}
