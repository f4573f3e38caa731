package dev.isola.gateway;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.isola.gateway.ClientPhase.CLOSED;
import static dev.isola.gateway.ClientPhase.EXCHANGING;
import static dev.isola.gateway.ClientPhase.IDLE;
import static dev.isola.gateway.ClientPhase.READING_HEAD;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The limits on slow clients, on one connection of the real {@link FrontHandler} with a fake clock
 * ({@link EmbeddedEdge}): a late head, an idle keep-alive connection, a body below the minimum rate, and the
 * connection's {@link ClientPhase} through each. {@code ClientLimitsTest} runs the same against a real server.
 */
class FrontHandlerLimitsTest {
    private static final String GET = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final String OK_HELLO = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
    private static final String CHUNKED_POST = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

    /** headerTimeout 10 s, keepAliveTimeout 75 s, 1024 B/s after 5 s of grace. */
    private final EmbeddedEdge edge = new EmbeddedEdge();

    @AfterEach
    void close() {
        edge.close();
    }

    @Test
    void halfAHead_thenNothing_is408AtTheHeaderTimeout_andTheConnectionCloses() {
        assertThat(edge.clientPhase()).isEqualTo(READING_HEAD);
        edge.send("GET /hello HTTP/1.1\r\nHo");
        edge.advance(9_999);
        assertThat(edge.received()).isEmpty();
        assertThat(edge.clientOpen()).isTrue();
        edge.advance(1);

        assertThat(edge.received()).startsWith("HTTP/1.1 408 Request Timeout\r\n").containsIgnoringCase(
                "connection: close").contains("{\"error\":\"request_timeout\",\"message\":\"No complete request "
                + "head within 10000 ms (headerTimeout)\"}");
        assertThat(edge.clientOpen()).isFalse();
        assertThat(edge.clientPhase()).isEqualTo(CLOSED);
        assertThat(edge.targets()).as("nothing was routed").isEmpty();
    }

    @Test
    void aHeadTrickledAByteAtATime_doesNotMoveTheHeaderTimeout() {
        String head = "GET /hello HTTP/1.1\r\nHost: x\r\n";
        for (int i = 0; i < head.length() && i < 10; i++) {
            edge.send(head.substring(i, i + 1));
            edge.advance(999);
        }
        edge.advance(10);

        assertThat(edge.received()).startsWith("HTTP/1.1 408 ");
        assertThat(edge.clientOpen()).isFalse();
    }

    @Test
    void aConnectionThatSendsNothing_is408AtTheHeaderTimeout() {
        edge.advance(10_000);

        assertThat(edge.received()).startsWith("HTTP/1.1 408 ");
        assertThat(edge.clientOpen()).isFalse();
    }

    @Test
    void phases_head_exchange_idle_head_exchange() {
        assertThat(edge.clientPhase()).isEqualTo(READING_HEAD);
        edge.send(GET);
        assertThat(edge.clientPhase()).isEqualTo(EXCHANGING);
        edge.instance().answer(OK_HELLO);
        assertThat(edge.clientPhase()).isEqualTo(IDLE);
        edge.send("GET /again HTTP/1.1\r\n");
        assertThat(edge.clientPhase()).isEqualTo(READING_HEAD);
        edge.send("Host: x\r\n\r\n");
        assertThat(edge.clientPhase()).isEqualTo(EXCHANGING);
        edge.instance().answer(OK_HELLO);
        assertThat(edge.clientPhase()).isEqualTo(IDLE);
        edge.send(GET);
        assertThat(edge.clientPhase()).as("a whole head at once").isEqualTo(EXCHANGING);
    }

    @Test
    void idleKeepAlive_closesAtTheKeepAliveTimeout_withNoAnswer() {
        edge.send(GET);
        edge.instance().answer(OK_HELLO);
        String answered = edge.received();
        edge.advance(74_999);
        assertThat(edge.clientOpen()).isTrue();
        edge.advance(1);

        assertThat(edge.clientOpen()).isFalse();
        assertThat(edge.received()).as("no 408 to race the client's next request").isEqualTo(answered);
    }

    @Test
    void idleLongerThanTheHeaderTimeout_thenAWholeRequest_isServed() {
        edge.send(GET);
        edge.instance().answer(OK_HELLO);
        edge.advance(60_000);
        edge.send(GET);
        edge.instance().answer(OK_HELLO);

        assertThat(edge.received()).doesNotContain("408").endsWith("hello");
        assertThat(edge.clientPhase()).isEqualTo(IDLE);
    }

    @Test
    void nextHeadStartedAfterIdling_hasTheHeaderTimeoutFromItsFirstByte() {
        edge.send(GET);
        edge.instance().answer(OK_HELLO);
        edge.advance(30_000);
        edge.send("GET /next HT");
        edge.advance(9_999);
        assertThat(edge.clientOpen()).isTrue();
        edge.advance(1);

        assertThat(edge.received()).contains("HTTP/1.1 408 ");
        assertThat(edge.clientOpen()).isFalse();
    }

    @Test
    void bodyBelowTheMinimumRate_is408_theSlotIsReleased_andTheConnectionCloses() {
        edge.send(CHUNKED_POST);
        for (int second = 0; second < 5; second++) {
            edge.send("1\r\na\r\n"); // a byte a second
            edge.advance(1_000);
        }
        edge.advance(10);

        assertThat(edge.received()).startsWith("HTTP/1.1 408 ").contains("\"error\":\"request_timeout\"")
                .contains("Request body arrived slower than 1024 bytes/s (minBodyRate)");
        assertThat(edge.target().finished).containsExactly("408 healthy");
        assertThat(edge.instance().open()).isFalse();
        assertThat(edge.clientOpen()).isFalse();
    }

    @Test
    void bodyAtTheMinimumRate_isServed() {
        edge.send(CHUNKED_POST);
        for (int second = 0; second < 10; second++) {
            edge.send("400\r\n" + "a".repeat(1024) + "\r\n");
            edge.advance(1_000);
        }
        edge.send("0\r\n\r\n");
        edge.instance().answer(OK_HELLO);

        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK");
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    @Test
    void timeTheEdgeHoldsTheBodyBack_doesNotCountAgainstTheRate() {
        edge.openAtOnce = false; // no instance yet: the edge stops reading the body
        edge.send(CHUNKED_POST + "1\r\na\r\n");
        assertThat(edge.readingClient()).isFalse();
        edge.advance(60_000);
        assertThat(edge.clientOpen()).isTrue();
        edge.target().opened();
        assertThat(edge.readingClient()).isTrue();
        edge.advance(4_990);
        assertThat(edge.clientOpen()).as("5 s of grace, counted only while the edge reads").isTrue();
        edge.advance(100);

        assertThat(edge.received()).startsWith("HTTP/1.1 408 ");
        assertThat(edge.target().finished).containsExactly("408 healthy");
    }

    @Test
    void bodyToALocalAnswer_belowTheRate_is408Too() {
        edge.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab");
        edge.target().rejected(dev.isola.api.ErrorCode.SATURATED, "busy"); // answered once the body is read
        edge.advance(5_100);

        assertThat(edge.received()).startsWith("HTTP/1.1 408 ").doesNotContain("saturated");
        assertThat(edge.clientOpen()).isFalse();
    }

    @Test
    void noMinimumRate_aTrickleIsLeftToTheFunctionsTimeout() {
        try (EmbeddedEdge unlimited = new EmbeddedEdge(new ClientLimits(Duration.ofSeconds(10),
                Duration.ofSeconds(75), 0, Duration.ofSeconds(5), 100))) {
            unlimited.timeoutMillis = 30_000;
            unlimited.send(CHUNKED_POST);
            for (int second = 0; second < 29; second++) {
                unlimited.send("1\r\na\r\n");
                unlimited.advance(1_000);
            }
            assertThat(unlimited.target().finished).isEmpty();
            unlimited.advance(1_000);

            assertThat(unlimited.received()).startsWith("HTTP/1.1 504 ");
            assertThat(unlimited.target().finished).containsExactly("504 healthy");
        }
    }
}
