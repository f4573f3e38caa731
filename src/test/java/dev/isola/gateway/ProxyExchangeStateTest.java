package dev.isola.gateway;

import dev.isola.api.ErrorCode;
import dev.isola.gateway.EmbeddedEdge.Connect;
import dev.isola.gateway.EmbeddedEdge.Instance;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static dev.isola.gateway.ProxyState.AWAITING_HEAD;
import static dev.isola.gateway.ProxyState.AWAITING_TARGET;
import static dev.isola.gateway.ProxyState.CONNECTING;
import static dev.isola.gateway.ProxyState.DONE;
import static dev.isola.gateway.ProxyState.RECONNECTING;
import static dev.isola.gateway.ProxyState.SKIPPING_INTERIM;
import static dev.isola.gateway.ProxyState.STREAMING_RESPONSE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProxyExchange}'s state machine: the table of moves {@link ProxyState#leadsTo} allows, and each move made by
 * a real exchange on embedded channels. The other ProxyExchange tests check what each path sends and records.
 */
class ProxyExchangeStateTest {
    private static final String GET = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final String OK_HELLO = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
    private static final String CHUNKED_POST = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    /** The moves the class comment of ProxyExchange draws, besides "any but DONE → DONE". */
    private static final Map<ProxyState, Set<ProxyState>> MOVES = Map.of(
            AWAITING_TARGET, EnumSet.of(CONNECTING, AWAITING_HEAD),
            CONNECTING, EnumSet.of(AWAITING_HEAD, AWAITING_TARGET),
            AWAITING_HEAD, EnumSet.of(SKIPPING_INTERIM, STREAMING_RESPONSE, RECONNECTING),
            SKIPPING_INTERIM, EnumSet.of(AWAITING_HEAD, RECONNECTING),
            RECONNECTING, EnumSet.of(AWAITING_HEAD, AWAITING_TARGET),
            STREAMING_RESPONSE, EnumSet.noneOf(ProxyState.class),
            DONE, EnumSet.noneOf(ProxyState.class));

    private final EmbeddedEdge edge = new EmbeddedEdge();

    @AfterEach
    void close() {
        edge.close();
    }

    @ParameterizedTest
    @EnumSource(ProxyState.class)
    void leadsTo_onlyTheDrawnMoves_andEveryStateButDoneMayEnd(ProxyState from) {
        for (ProxyState to : ProxyState.values()) {
            boolean drawn = MOVES.get(from).contains(to) || to == DONE && from != DONE;
            assertThat(from.leadsTo(to)).as(from + " -> " + to).isEqualTo(drawn);
        }
    }

    @ParameterizedTest
    @EnumSource(ProxyState.class)
    void timed_fromTheTargetOpeningUntilTheEnd(ProxyState state) {
        assertThat(state.timed()).isEqualTo(EnumSet.of(CONNECTING, AWAITING_HEAD, SKIPPING_INTERIM, RECONNECTING,
                STREAMING_RESPONSE).contains(state));
    }

    @Test
    void warmPath_awaitingTarget_connecting_awaitingHead_streaming_done() {
        edge.openAtOnce = false;
        edge.connect = Connect.HOLD;
        edge.send(GET);
        assertThat(edge.state()).isEqualTo(AWAITING_TARGET);
        edge.target().opened();
        assertThat(edge.state()).isEqualTo(CONNECTING);
        edge.instance().accept();
        assertThat(edge.state()).isEqualTo(AWAITING_HEAD);
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhel");
        assertThat(edge.state()).isEqualTo(STREAMING_RESPONSE);
        edge.instance().answer("lo");
        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.received()).endsWith("hello");
    }

    @Test
    void awaitingTarget_withAnIdleConnection_goesStraightToAwaitingHead() {
        edge.openAtOnce = false;
        Instance idle = edge.pooledConnection();
        edge.send(GET);
        edge.target().opened();

        assertThat(edge.state()).isEqualTo(AWAITING_HEAD);
        assertThat(idle.received()).startsWith("GET /hello ");
    }

    @Test
    void awaitingTarget_rejected_isDone() {
        edge.openAtOnce = false;
        edge.send(GET);
        edge.target().rejected(ErrorCode.SATURATED, "busy");

        assertThat(edge.state()).isEqualTo(DONE);
    }

    @Test
    void connecting_refused_isDone() {
        edge.connect = Connect.REFUSE;
        edge.send(GET);

        assertThat(edge.state()).isEqualTo(DONE);
    }

    @Test
    void connecting_refusedByAFreshInstance_staysConnecting() {
        edge.fresh = true;
        edge.connect = Connect.REFUSE;
        edge.send(GET);
        edge.advance(500);

        assertThat(edge.state()).isEqualTo(CONNECTING);
        edge.clientHangsUp();
        assertThat(edge.state()).isEqualTo(DONE);
    }

    @Test
    void awaitingHead_interimAnswer_isSkippedUntilItsEnd() {
        edge.send(GET);
        edge.instance().deliver(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        assertThat(edge.state()).isEqualTo(SKIPPING_INTERIM);
        edge.instance().deliver(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(edge.state()).isEqualTo(AWAITING_HEAD);
        edge.instance().answer("HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n" + OK_HELLO);

        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK\r\n").doesNotContain("103").endsWith("hello");
    }

    @Test
    void awaitingHead_staleConnection_reconnects_thenAwaitsHeadAgain() {
        Instance stale = edge.pooledConnection();
        edge.connect = Connect.HOLD;
        edge.send(GET);
        assertThat(edge.state()).isEqualTo(AWAITING_HEAD);
        stale.hangUp();
        assertThat(edge.state()).isEqualTo(RECONNECTING);
        edge.instance().accept();
        assertThat(edge.state()).isEqualTo(AWAITING_HEAD);
        edge.instance().answer(OK_HELLO);

        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    @Test
    void skippingInterim_staleConnection_reconnects() {
        Instance stale = edge.pooledConnection();
        edge.send(GET);
        stale.deliver(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        assertThat(edge.state()).isEqualTo(SKIPPING_INTERIM);
        stale.hangUp();

        assertThat(edge.connections()).hasSize(2);
        assertThat(edge.state()).isEqualTo(AWAITING_HEAD);
        edge.instance().answer(OK_HELLO);
        assertThat(edge.received()).endsWith("hello");
    }

    @Test
    void skippingInterim_clientHangingUp_isDone() {
        edge.send(GET);
        edge.instance().deliver(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        edge.clientHangsUp();

        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.target().finished).containsExactly("499 healthy");
    }

    @Test
    void reconnecting_refused_isDone() {
        Instance stale = edge.pooledConnection();
        edge.connect = Connect.REFUSE;
        edge.send(GET);
        stale.hangUp();

        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.received()).contains("\"error\":\"instance_failed\"").contains("connection refused");
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
    }

    @Test
    void reconnecting_timeoutKeepsRunning_isDone() {
        edge.timeoutMillis = 1_000;
        Instance stale = edge.pooledConnection();
        edge.connect = Connect.HOLD;
        edge.send(GET);
        edge.advance(400);
        stale.hangUp();
        edge.advance(600);

        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.received()).contains("\"error\":\"timeout\"");
        assertThat(edge.target().finished).containsExactly("504 healthy");
        edge.instance().accept();
        assertThat(edge.instance().open()).as("too late: closed as it connects").isFalse();
    }

    @Test
    void connecting_timeoutPasses_isDone_andTheLateConnectionIsClosed() {
        edge.timeoutMillis = 1_000;
        edge.connect = Connect.HOLD;
        edge.send(GET);
        assertThat(edge.state()).isEqualTo(CONNECTING);
        edge.advance(1_000);

        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.received()).contains("\"error\":\"timeout\"");
        assertThat(edge.target().finished).containsExactly("504 healthy");
        edge.instance().accept();
        assertThat(edge.instance().open()).isFalse();
    }

    /** The body held while connecting is released by the timeout too (the edge checks every buffer on close). */
    @Test
    void connecting_timeoutPasses_withABodyHeld_releasesIt() {
        edge.timeoutMillis = 1_000;
        edge.connect = Connect.HOLD;
        edge.send(CHUNKED_POST + "5\r\nhello\r\n");
        assertThat(edge.state()).isEqualTo(CONNECTING);
        edge.advance(1_000);

        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.target().finished).containsExactly("504 healthy");
        edge.instance().accept();
    }

    @Test
    void awaitingHead_bodyTooSlow_isDone_as408() {
        edge.send(CHUNKED_POST + "1\r\na\r\n");
        assertThat(edge.state()).isEqualTo(AWAITING_HEAD);
        edge.advance(5_100);

        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.target().finished).containsExactly("408 healthy");
        assertThat(edge.received()).startsWith("HTTP/1.1 408 ").contains("\"error\":\"request_timeout\"");
        assertThat(edge.instance().open()).isFalse();
    }

    @Test
    void streamingResponse_bodyTooSlow_isDone_andTheClientIsCutOff() {
        edge.send(CHUNKED_POST + "1\r\na\r\n");
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello");
        assertThat(edge.state()).isEqualTo(STREAMING_RESPONSE);
        edge.advance(5_100);

        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.target().finished).containsExactly("408 healthy");
        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK").doesNotContain("408");
        assertThat(edge.clientOpen()).isFalse();
    }

    @Test
    void done_lateMessagesFromTheInstance_areDropped() {
        edge.send(GET);
        edge.instance().answer(OK_HELLO);
        edge.target().exchange.fromUpstream(LastHttpContent.EMPTY_LAST_CONTENT);
        edge.target().exchange.clientClosed();

        assertThat(edge.state()).isEqualTo(DONE);
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }
}
