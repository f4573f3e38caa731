package dev.isola.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProxyExchange} on its good paths, one exchange at a time on embedded channels ({@link EmbeddedEdge}): how a
 * request goes to the instance and its answer comes back, with each message's framing, in order.
 */
class ProxyExchangeTest {
    private static final String OK_HELLO = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";

    private final EmbeddedEdge edge = new EmbeddedEdge();

    @AfterEach
    void close() {
        edge.close();
    }

    @Test
    void get_isForwardedRewritten_andItsAnswerRelayed() {
        edge.send("GET /hello?x=1 HTTP/1.1\r\nHost: edge.example\r\nConnection: keep-alive, X-Trace\r\n"
                + "X-Trace: 1\r\nAccept: */*\r\n\r\n");

        String forwarded = edge.instance().received();
        assertThat(forwarded).startsWith("GET /hello?x=1 HTTP/1.1\r\n")
                .containsIgnoringCase("host: 10.200.0.7:8080\r\n")
                .containsIgnoringCase("x-forwarded-for: -\r\n")
                .containsIgnoringCase("x-forwarded-host: edge.example\r\n")
                .containsIgnoringCase("accept: */*\r\n")
                .doesNotContainIgnoringCase("connection:")
                .doesNotContainIgnoringCase("x-trace")
                .endsWith("\r\n\r\n");
        assertThat(edge.received()).as("nothing before the instance answers").isEmpty();

        edge.instance().answer(OK_HELLO);

        assertThat(edge.received())
                .isEqualTo("HTTP/1.1 200 OK\r\ncontent-length: 5\r\nX-Isola-Instance: hello-1\r\n\r\nhello");
        assertThat(edge.target().finished).containsExactly("200 healthy");
        assertThat(edge.clientOpen()).isTrue();
        assertThat(edge.readingClient()).isTrue();
    }

    /** What the caller says of forwarding is replaced by what the edge saw: the function reads the first value. */
    @Test
    void forwardingHeadersFromTheCaller_areReplaced_notAddedTo() {
        edge.send("GET /hello HTTP/1.1\r\nHost: edge.example\r\nX-Forwarded-For: 1.2.3.4\r\n"
                + "X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\nForwarded: for=1.2.3.4\r\n"
                + "X-Real-IP: 1.2.3.4\r\n\r\n");

        String forwarded = edge.instance().received();
        assertThat(forwarded).containsIgnoringCase("x-forwarded-for: -\r\n")
                .containsIgnoringCase("x-forwarded-host: edge.example\r\n")
                .containsIgnoringCase("x-forwarded-proto: http\r\n")
                .doesNotContain("1.2.3.4").doesNotContain("evil.example").doesNotContain("https")
                .doesNotContainIgnoringCase("forwarded: for").doesNotContainIgnoringCase("x-real-ip");
        edge.instance().answer(OK_HELLO);
    }

    @Test
    void get_afterAnAnswer_reusesThePooledConnection() {
        edge.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        edge.instance().answer(OK_HELLO);
        edge.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(edge.connections()).hasSize(1);
        assertThat(edge.instance().received()).contains("GET /a ").contains("GET /b ");
        edge.instance().answer("HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(edge.received()).endsWith("HTTP/1.1 204 No Content\r\nX-Isola-Instance: hello-1\r\n\r\n");
        assertThat(edge.targets()).extracting(t -> t.finished).containsExactly(List.of("200 healthy"),
                List.of("204 healthy"));
    }

    @Test
    void postWithContentLength_isForwardedWithItsBody() {
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");

        assertThat(edge.instance().received()).startsWith("POST /echo HTTP/1.1\r\n")
                .containsIgnoringCase("content-length: 11\r\n")
                .endsWith("\r\n\r\nhello world");
        edge.instance().answer("HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok");
        assertThat(edge.received()).startsWith("HTTP/1.1 201 Created\r\n").endsWith("\r\n\r\nok");
        assertThat(edge.target().finished).containsExactly("201 healthy");
    }

    @Test
    void bodyArrivingBeforeTheConnection_isHeld_andTheClientPaused() {
        edge.connect = EmbeddedEdge.Connect.HOLD;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");

        assertThat(edge.readingClient()).as("nowhere to send the body yet").isFalse();
        edge.instance().accept();
        assertThat(edge.readingClient()).as("the rest of the body may come").isTrue();
        edge.send("world");

        assertThat(edge.instance().received()).endsWith("\r\n\r\nhelloworld");
        edge.instance().answer(OK_HELLO);
        assertThat(edge.received()).endsWith("hello");
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    @Test
    void chunkedRequestBody_isForwardedChunked() {
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        edge.send("6\r\n world\r\n0\r\n\r\n");

        String forwarded = edge.instance().received();
        assertThat(forwarded).containsIgnoringCase("transfer-encoding: chunked\r\n")
                .doesNotContainIgnoringCase("content-length")
                .endsWith("\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        edge.instance().answer(OK_HELLO);
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    @Test
    void chunkedResponse_isRelayedChunked_andTheConnectionPooled() {
        edge.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
        edge.instance().answer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n");

        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK\r\n")
                .containsIgnoringCase("transfer-encoding: chunked\r\n").endsWith("\r\n\r\n5\r\nhello\r\n");
        edge.instance().answer("6\r\n world\r\n0\r\n\r\n");

        assertThat(edge.received()).endsWith("\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        assertThat(edge.target().finished).containsExactly("200 healthy");
        assertThat(edge.pool().poll(EmbeddedEdge.KEY)).isSameAs(edge.instance().channel);
    }

    @Test
    void closeDelimitedResponse_isReframedAsChunked() {
        edge.send("GET /old HTTP/1.1\r\nHost: x\r\n\r\n");
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nhello");

        assertThat(edge.received()).containsIgnoringCase("transfer-encoding: chunked\r\n")
                .endsWith("\r\n\r\n5\r\nhello\r\n");
        edge.instance().hangUp(); // the end of the answer

        assertThat(edge.received()).endsWith("\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        assertThat(edge.target().finished).containsExactly("200 healthy");
        assertThat(edge.clientOpen()).as("chunked framing keeps the client's connection").isTrue();
        assertThat(edge.pool().poll(EmbeddedEdge.KEY)).isNull();
    }

    @Test
    void closeDelimitedResponse_toAnHttp10Client_endsByClosing() {
        edge.send("GET /old HTTP/1.0\r\nHost: x\r\n\r\n");
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nhello");
        edge.instance().hangUp();

        String received = edge.received();
        assertThat(received).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nhello")
                .doesNotContainIgnoringCase("transfer-encoding").doesNotContainIgnoringCase("content-length");
        assertThat(edge.clientOpen()).as("the close ends the answer").isFalse();
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    /** An HTTP/1.0 client knows no chunks: the answer reaches it unframed, and its end is the close. */
    @Test
    void chunkedResponse_toAnHttp10Client_isUnframed_andEndsByClosing() {
        edge.send("GET /stream HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
        edge.instance().answer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

        String received = edge.received();
        assertThat(received).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nhello")
                .doesNotContainIgnoringCase("transfer-encoding").doesNotContainIgnoringCase("keep-alive");
        assertThat(edge.clientOpen()).as("the close ends the answer").isFalse();
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    @Test
    void keepAliveHttp10Client_withALengthAnswer_keepsItsConnection() {
        edge.send("GET /a HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
        edge.instance().answer(OK_HELLO);

        assertThat(edge.received()).containsIgnoringCase("connection: keep-alive\r\n").endsWith("hello");
        assertThat(edge.clientOpen()).isTrue();
    }

    @Test
    void headRequest_answerWithALength_hasNoBody() {
        edge.send("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n");
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n");

        assertThat(edge.received()).endsWith("content-length: 5\r\nX-Isola-Instance: hello-1\r\n\r\n");
        assertThat(edge.target().finished).containsExactly("200 healthy");
        edge.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        edge.instance().answer(OK_HELLO);
        assertThat(edge.received()).endsWith("\r\n\r\nhello");
    }

    @Test
    void pipelinedRequests_areAnsweredInOrder() {
        edge.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");

        assertThat(edge.instance().received()).as("one at a time").contains("GET /1 ").doesNotContain("/2");
        assertThat(edge.readingClient()).as("the next requests wait in order").isFalse();
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\none");
        assertThat(edge.instance().received()).contains("GET /2 ").doesNotContain("/3");
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\ntwo");
        assertThat(edge.instance().received()).endsWith("\r\n\r\nabc");
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nthree");

        String received = edge.received();
        assertThat(received).endsWith("three");
        assertThat(received.indexOf("one")).isLessThan(received.indexOf("two"));
        assertThat(received.indexOf("two")).isLessThan(received.indexOf("three"));
        assertThat(edge.connections()).hasSize(1);
        assertThat(edge.readingClient()).isTrue();
        assertThat(edge.targets()).allSatisfy(t -> assertThat(t.finished).containsExactly("200 healthy"));
    }

    /** One flush per read of the client, not per piece: a body of one-byte chunks made a system call per chunk. */
    @Test
    void aBodyOfTinyChunks_isFlushedOncePerRead() {
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        AtomicInteger flushes = new AtomicInteger();
        edge.instance().channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes.incrementAndGet();
                ctx.flush();
            }
        });

        edge.send("1\r\na\r\n".repeat(1_000));
        // Once per read, and once each time the pieces pending pass the connection's high-water mark (each piece
        // counts its content and about 100 bytes of bookkeeping): a few, not one per chunk.
        assertThat(flushes.get()).as("flushes for one read of 1,000 chunks").isBetween(1, 10);
        edge.send("0\r\n\r\n");

        assertThat(edge.instance().received()).endsWith("\r\n0\r\n\r\n");
        edge.instance().answer(OK_HELLO);
        assertThat(edge.received()).endsWith("hello");
    }

    /** A read of thousands of pipelined requests held them all as objects: past the cap, the connection closes. */
    @Test
    void tooManyPipelinedRequests_theCurrentIsAnswered_thenTheConnectionCloses() {
        edge.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n".repeat(FrontHandler.MAX_PIPELINED + 10));

        edge.instance().answer(OK_HELLO);

        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK").endsWith("hello");
        assertThat(edge.clientOpen()).isFalse();
        assertThat(edge.connections()).hasSize(1);
        assertThat(edge.targets()).hasSize(1);
    }

    @Test
    void expectContinue_isAnsweredByTheEdge_andTheInstancesInterimSkipped() {
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");

        assertThat(edge.received()).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
        edge.send("hello");
        assertThat(edge.instance().received()).doesNotContainIgnoringCase("expect").endsWith("\r\n\r\nhello");
        edge.instance().answer("HTTP/1.1 100 Continue\r\n\r\n");
        assertThat(edge.received()).as("the instance's interim answer").isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
        edge.instance().answer(OK_HELLO);

        assertThat(edge.received()).startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n").endsWith("hello");
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    @Test
    void earlyAnswer_beforeTheWholeBody_closesBothConnections() {
        edge.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
        edge.instance().answer("HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\nno");

        assertThat(edge.received()).startsWith("HTTP/1.1 403 Forbidden\r\n").endsWith("no");
        assertThat(edge.target().finished).containsExactly("403 healthy");
        assertThat(edge.instance().open()).as("it holds half a request").isFalse();
        assertThat(edge.clientOpen()).as("the rest of the body would be read as a request").isFalse();
    }
}
