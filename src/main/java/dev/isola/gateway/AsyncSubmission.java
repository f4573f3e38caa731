package dev.isola.gateway;

import dev.isola.api.ErrorCode;
import dev.isola.async.AsyncCalls;
import dev.isola.async.BodyBuffer;
import dev.isola.async.CallRequest;
import dev.isola.async.Header;
import dev.isola.async.Submission;
import dev.isola.function.FunctionName;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A call to {@code /async-function/{name}[/rest]}: the body is read whole (up to {@code asyncMaxBodyBytes}), the call
 * is handed to the queue, and the answer — 202 with {@code X-Call-Id} once the call is on the disk — goes out when the
 * queue's group commit says so, back on the connection's event loop. The loop never waits for the disk.
 *
 * <p>The body's bytes are held in the queue's {@link BodyBuffer} as they arrive, until the call is stored or
 * refused; a piece the buffer cannot take ends the submission with 429 and the connection, so that many callers
 * sending large bodies at once are refused rather than fill the heap.
 */
final class AsyncSubmission implements FrontHandler.Exchange {
    static final String CALLBACK_URL = "x-callback-url";
    static final String IDEMPOTENCY_KEY = "idempotency-key";
    /** What a body's buffer starts with; it grows as bytes come, each counted in the node's buffer first. */
    private static final int INITIAL_BUFFER = 1024;
    /** Not part of the call: they describe this connection, or are meant for Isola. */
    private static final Set<String> NOT_STORED = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "upgrade", "host", "content-length",
            "transfer-encoding", "expect", CALLBACK_URL, IDEMPOTENCY_KEY);

    private final FrontHandler front;
    private final HttpRequest request;
    private final FunctionName function;
    private final String target;
    private final AsyncCalls calls;
    private final BodyLimit limit;
    private final ByteArrayOutputStream body;
    private boolean done;
    /** Bytes of the body held in the queue's buffer; once submitted, the submission's completion frees them. */
    private long held;

    AsyncSubmission(FrontHandler front, HttpRequest request, FunctionName function, String target, AsyncCalls calls,
                    BodyLimit limit) {
        this.front = front;
        this.request = request;
        this.function = function;
        this.target = target;
        this.calls = calls;
        this.limit = limit;
        // Small, and grown as bytes arrive and are counted against the node's buffer: sized by the declared length,
        // 10,000 connections each declaring 1 MiB and sending nothing held 64 KiB apiece that no count saw.
        long declared = HttpUtil.getContentLength(request, 0L);
        this.body = new ByteArrayOutputStream((int) Math.min(declared, INITIAL_BUFFER));
    }

    @Override
    public void begin() {
    }

    @Override
    public void content(HttpContent piece) {
        ByteBuf bytes = piece.content();
        boolean last = piece instanceof LastHttpContent;
        try {
            if (done) {
                return;
            }
            int size = bytes.readableBytes();
            if (body.size() + (long) size > limit.bytes()) {
                end(); // a chunked body that grew past the limit: refused, and the rest not read
                front.reply(this, ApiError.response(ErrorCode.BODY_TOO_LARGE, limit.exceeded()), false);
                return;
            }
            if (!calls.bodies().hold(size)) {
                end();
                front.reply(this, ApiError.response(ErrorCode.SATURATED, "Isola holds "
                        + calls.bodies().capacity() + " bytes of asynchronous request bodies being read already "
                        + "(asyncBufferBytes); try again later"), false);
                return;
            }
            held += size;
            bytes.readBytes(body, size);
        } catch (IOException e) {
            throw new IllegalStateException("a byte array stream does not fail", e);
        } finally {
            piece.release();
        }
        if (last) {
            submit();
        }
    }

    private void submit() {
        CallRequest call = new CallRequest(request.method().name(), target, headers(), body.toByteArray());
        long stored = held;
        held = 0; // from here the submission's completion frees them: the body waits in the queue until stored
        calls.submit(function, call, header(CALLBACK_URL), header(IDEMPOTENCY_KEY))
                .thenAccept(outcome -> {
                    calls.bodies().free(stored);
                    front.loop().execute(() -> answer(outcome));
                });
    }

    /** Ends the submission before it was handed to the queue: what the body held is freed. */
    private void end() {
        done = true;
        calls.bodies().free(held);
        held = 0;
    }

    private List<Header> headers() {
        List<Header> headers = new ArrayList<>();
        for (Map.Entry<String, String> h : request.headers()) {
            if (!NOT_STORED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                headers.add(new Header(h.getKey(), h.getValue()));
            }
        }
        return headers;
    }

    private Optional<String> header(String name) {
        return Optional.ofNullable(request.headers().get(name)).map(String::strip).filter(v -> !v.isEmpty());
    }

    private void answer(Submission outcome) {
        if (done) {
            return; // the client went away: the call is stored all the same, and runs
        }
        done = true;
        front.reply(this, response(function, outcome), HttpUtil.isKeepAlive(request));
    }

    /** The edge's answer to a submission, or to a refusal found before the body was read. */
    static FullHttpResponse response(FunctionName function, Submission outcome) {
        return switch (outcome) {
            case Submission.Accepted accepted -> {
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.ACCEPTED);
                response.headers().set("X-Call-Id", accepted.id().value());
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                yield response;
            }
            case Submission.NotFound ignored -> ApiError.response(ErrorCode.FUNCTION_NOT_FOUND,
                    "Function '" + function + "' is not deployed; nothing was queued");
            case Submission.CallbackRefused refused -> ApiError.response(ErrorCode.CALLBACK_NOT_ALLOWED,
                    refused.reason());
            case Submission.QueueFull full -> ApiError.response(ErrorCode.SATURATED, "The asynchronous queue holds "
                    + full.what() + " already (" + full.setting() + "); try again later");
            case Submission.Unavailable unavailable -> ApiError.response(ErrorCode.UNAVAILABLE,
                    unavailable.reason());
        };
    }

    @Override
    public void clientClosed() {
        end();
    }

    @Override
    public boolean cutShort(int status) {
        if (done) {
            return false;
        }
        end();
        return true;
    }
}
