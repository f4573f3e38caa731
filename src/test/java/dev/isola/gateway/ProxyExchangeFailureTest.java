package dev.isola.gateway;

import dev.isola.api.ErrorCode;
import dev.isola.gateway.EmbeddedEdge.Connect;
import dev.isola.gateway.EmbeddedEdge.Instance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProxyExchange} when a side fails or gives up: connections refused, dropped or gone stale, the client hanging
 * up, the platform saying no. The target's {@code finish} must be called exactly once for every exchange it opened.
 */
class ProxyExchangeFailureTest {
    private static final String GET = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final String OK_HELLO = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
    private static final String CLOSED = "it closed the connection; it may have crashed or run out of memory";
    private static final String REFUSED = "fn=hello inst=hello-1: the function failed to answer (connection refused)";

    private final EmbeddedEdge edge = new EmbeddedEdge();

    @AfterEach
    void close() {
        edge.close();
    }

    // --- connecting ----------------------------------------------------------------------------------------------

    @Test
    void refusedByAFreshInstance_isRetriedEvery10ms_untilItAccepts() {
        edge.fresh = true;
        edge.connect = Connect.REFUSE;
        edge.send(GET);
        edge.advance(9);
        assertThat(edge.connections()).hasSize(1);
        edge.advance(1);
        edge.advance(10);
        assertThat(edge.connections()).hasSize(3);

        edge.connect = Connect.ACCEPT;
        edge.advance(10);
        assertThat(edge.instance().received()).startsWith("GET /hello ");
        edge.instance().answer(OK_HELLO);

        assertThat(edge.connections()).hasSize(4);
        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK\r\n");
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    @Test
    void refusedByAFreshInstance_forASecond_is502() {
        edge.fresh = true;
        edge.connect = Connect.REFUSE;
        edge.elsewhere = Connect.ACCEPT; // not for an instance started for the call: it would only start another
        edge.send(GET);
        for (int i = 0; i < 99; i++) {
            edge.advance(10);
        }
        assertThat(edge.received()).as("still trying at 990 ms").isEmpty();
        edge.advance(10);

        assertThat(edge.connections()).as("one a 10 ms for a second").hasSize(101);
        assertError(502, "instance_failed", REFUSED);
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
        assertThat(edge.clientOpen()).isTrue();
        edge.advance(1_000);
        assertThat(edge.connections()).hasSize(101);
    }

    @Test
    void refusedByAWarmInstance_is502AtOnce() {
        edge.connect = Connect.REFUSE;
        edge.send(GET);

        assertThat(edge.connections()).hasSize(1);
        assertError(502, "instance_failed", REFUSED);
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
    }

    @Test
    void connectTimeout_is502_andNotRetried() {
        edge.fresh = true;
        edge.connect = Connect.TIME_OUT;
        edge.send(GET);

        assertError(502, "instance_failed", "(no connection within 2000 ms)");
        assertThat(edge.connections()).hasSize(1);
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
    }

    @Test
    void connectionRefused_withTheBodyHeld_is502_releasesTheBody_andClosesTheHalfReadRequest() {
        edge.connect = Connect.REFUSE;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");

        assertError(502, "instance_failed", "(connection refused)");
        assertThat(edge.clientOpen()).as("the rest of the body would be read as a request").isFalse();
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
        // close() checks that the held "hello" was released
    }

    @Test
    void refusedByAFreshInstance_forASecond_withTheWholeBodyHeld_releasesIt() {
        edge.fresh = true;
        edge.connect = Connect.REFUSE;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        edge.advance(1_000);

        assertError(502, "instance_failed", "(connection refused)");
        assertThat(edge.clientOpen()).isTrue();
    }

    @Test
    void connectErrorOtherThanARefusal_isNotRetriedOnAFreshInstance_andSaysWhatItWas() {
        edge.fresh = true;
        edge.connect = Connect.NO_ADDRESS;
        edge.send(GET);

        assertThat(edge.connections()).hasSize(1);
        assertError(502, "instance_failed", "(no connection: finishConnect(..) failed: Cannot assign requested "
                + "address");
    }

    // --- another instance ----------------------------------------------------------------------------------------

    @Test
    void refusedByAWarmInstance_theCallGoesToAnotherInstance_once() {
        edge.connect = Connect.REFUSE;
        edge.elsewhere = Connect.ACCEPT;
        edge.send(GET);

        assertThat(edge.connections()).hasSize(2);
        assertThat(edge.instance().received()).startsWith("GET /hello ");
        edge.instance().answer(OK_HELLO);
        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("hello");
        assertThat(edge.target().finished).containsExactly("elsewhere: connection refused", "200 healthy");
    }

    @Test
    void refusedByTheOtherInstanceToo_is502() {
        edge.connect = Connect.REFUSE;
        edge.elsewhere = Connect.REFUSE;
        edge.send(GET);

        assertThat(edge.connections()).hasSize(2);
        assertError(502, "instance_failed", REFUSED);
        assertThat(edge.target().finished).containsExactly("elsewhere: connection refused", "502 unhealthy");
    }

    @Test
    void refusedWithTheBodyHeld_theOtherInstanceGetsTheWholeRequestOnce() {
        edge.connect = Connect.REFUSE;
        edge.elsewhere = Connect.ACCEPT;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
        edge.send("world");

        String request = edge.instance().received();
        assertThat(request).startsWith("POST /echo ").endsWith("\r\n\r\nhelloworld");
        assertThat(request.split("X-Forwarded-For", -1)).as("one X-Forwarded-For").hasSize(2);
        edge.instance().answer(OK_HELLO);
        assertThat(edge.target().finished).containsExactly("elsewhere: connection refused", "200 healthy");
    }

    @Test
    void staleIdleConnection_thenRefused_goesToAnotherInstance_withTheHeadAsItWas() {
        Instance stale = edge.pooledConnection();
        edge.elsewhere = Connect.ACCEPT;
        edge.send(GET);
        edge.connect = Connect.REFUSE; // the instance is gone: its idle connection closes, and a new one is refused
        stale.hangUp();

        assertThat(edge.connections()).hasSize(3);
        assertThat(edge.instance().received()).isEqualTo(stale.received());
        edge.instance().answer(OK_HELLO);
        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK\r\n");
        assertThat(edge.target().finished).containsExactly("elsewhere: connection refused", "200 healthy");
    }

    @Test
    void clientGone_whileTheCallLooksForAnotherInstance_finishesThatLeaseOnce() {
        edge.connect = Connect.REFUSE;
        edge.elsewhere = Connect.ACCEPT;
        edge.openAtOnce = false;
        edge.send(GET);
        edge.target().opened();
        assertThat(edge.state()).isEqualTo(ProxyState.AWAITING_TARGET);

        edge.clientHangsUp();
        edge.target().opened();

        assertThat(edge.connections()).as("no connection for a call that is over").hasSize(1);
        assertThat(edge.target().finished).containsExactly("elsewhere: connection refused", "499 healthy");
    }

    // --- pooled connections --------------------------------------------------------------------------------------

    @Test
    void staleIdleConnection_isRetriedOnceOnAFreshOne() {
        Instance stale = edge.pooledConnection();
        edge.send(GET);
        assertThat(stale.received()).startsWith("GET /hello ");

        stale.hangUp(); // it had closed this idle connection as the request went out

        assertThat(edge.connections()).hasSize(2);
        assertThat(edge.instance().received()).isEqualTo(stale.received());
        edge.instance().answer(OK_HELLO);
        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("hello");
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    @Test
    void staleIdleConnection_retried_leavesItsNewConnectionFitForTheNextRequest() {
        Instance stale = edge.pooledConnection();
        edge.send(GET);
        stale.hangUp();
        edge.instance().answer(OK_HELLO);
        edge.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(edge.connections()).as("the retry's connection was pooled and lent again").hasSize(2);
        assertThat(edge.instance().received()).contains("GET /next ");
        edge.instance().answer(OK_HELLO);
        assertThat(edge.targets()).allSatisfy(t -> assertThat(t.finished).containsExactly("200 healthy"));
    }

    @Test
    void staleIdleConnection_chunkedRequestWithoutBody_isRetriedWhole() {
        Instance stale = edge.pooledConnection();
        edge.send("PUT /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assertThat(stale.received()).endsWith("\r\n\r\n0\r\n\r\n");
        stale.hangUp();

        assertThat(edge.instance().received()).isEqualTo(stale.received());
        edge.instance().answer(OK_HELLO);
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    /** A POST may not run twice: the instance may have read it before it closed the connection, or crashed on it. */
    @Test
    void staleIdleConnection_postWithoutBody_is502_unlessItHasAnIdempotencyKey() {
        Instance stale = edge.pooledConnection();
        edge.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        stale.hangUp();

        assertThat(edge.connections()).hasSize(1);
        assertError(502, "instance_failed", "(" + CLOSED + ")");

        Instance again = edge.pooledConnection();
        edge.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nIdempotency-Key: k1\r\n\r\n");
        again.hangUp();
        edge.instance().answer(OK_HELLO);
        assertThat(edge.received()).endsWith("hello");
    }

    /** A malformed answer on a pooled connection is the instance's: a 502, not the request sent again. */
    @Test
    void pooledConnection_malformedAnswer_is502_notRetried() {
        Instance pooled = edge.pooledConnection();
        edge.send(GET);
        int before = edge.connections().size();
        pooled.answer("HTTP/1.1 abc nonsense\r\n\r\n");

        assertThat(edge.connections()).hasSize(before);
        assertThat(edge.received()).startsWith("HTTP/1.1 502");
    }

    @Test
    void staleIdleConnection_withABody_is502() {
        Instance stale = edge.pooledConnection();
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        assertThat(stale.received()).endsWith("hello");

        stale.hangUp(); // the instance may have read the body: it is not sent twice

        assertThat(edge.connections()).hasSize(1);
        assertError(502, "instance_failed", "(" + CLOSED + ")");
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
    }

    @Test
    void staleIdleConnection_ofAnInstanceThatExited_is502() {
        Instance stale = edge.pooledConnection();
        edge.send(GET);
        edge.target().alive = false;
        stale.hangUp();

        assertThat(edge.connections()).hasSize(1);
        assertError(502, "instance_failed", "(" + CLOSED + ")");
    }

    @Test
    void retriedRequest_closedAgain_is502() {
        edge.pooledConnection();
        edge.send(GET);
        edge.instance().hangUp();
        edge.instance().hangUp();

        assertThat(edge.connections()).as("retried once only").hasSize(2);
        assertError(502, "instance_failed", "(" + CLOSED + ")");
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
    }

    @Test
    void pooledConnectionIdleFor4s_isDroppedForAFreshOne() {
        Instance idle = edge.pooledConnection();
        edge.advance(4_000);
        edge.send(GET);

        assertThat(idle.open()).isFalse();
        assertThat(idle.received()).isEmpty();
        assertThat(edge.connections()).hasSize(2);
        edge.instance().answer(OK_HELLO);
        assertThat(edge.target().finished).containsExactly("200 healthy");
    }

    @Test
    void pooledConnectionIdleUnder4s_isReused() {
        Instance idle = edge.pooledConnection();
        edge.advance(3_999);
        edge.send(GET);

        assertThat(edge.connections()).hasSize(1);
        assertThat(idle.received()).startsWith("GET /hello ");
    }

    // --- the instance failing mid-exchange -----------------------------------------------------------------------

    @Test
    void instanceClosing_beforeTheHead_is502() {
        edge.send(GET);
        edge.instance().hangUp();

        assertThat(edge.connections()).as("a fresh connection is not retried").hasSize(1);
        assertError(502, "instance_failed", "(" + CLOSED + ")");
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
    }

    @Test
    void malformedAnswerHead_is502() {
        edge.send(GET);
        edge.instance().answer("HTTP/1.1 abc\r\n\r\n");

        assertThat(statusOf(edge.received())).isEqualTo(502);
        assertThat(edge.instance().open()).isFalse();
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
    }

    @Test
    void malformedChunkInTheAnswer_abortsTheClient_andDropsTheConnection() {
        edge.send(GET);
        edge.instance().answer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n");
        edge.instance().answer("zz\r\n");

        assertThat(edge.received()).as("not passed off as whole").endsWith("\r\n\r\n5\r\nhello\r\n");
        assertThat(edge.clientOpen()).isFalse();
        assertThat(edge.instance().open()).as("its codec ignores all that follows").isFalse();
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
    }

    @Test
    void instanceClosing_afterTheHead_abortsTheClientConnection() {
        edge.send(GET);
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello");
        edge.instance().hangUp();

        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("hello");
        assertThat(edge.clientOpen()).as("the only way left to say the answer is cut").isFalse();
        assertThat(edge.target().finished).containsExactly("502 unhealthy");
    }

    // --- the client hanging up -----------------------------------------------------------------------------------

    @Test
    void clientHangingUp_beforeTheAnswer_is499_andClosesTheUpstream() {
        edge.send(GET);
        edge.clientHangsUp();

        assertThat(edge.target().finished).containsExactly("499 healthy");
        assertThat(edge.instance().open()).as("it may still be writing an answer nobody reads").isFalse();
    }

    @Test
    void clientHangingUp_duringTheAnswer_is499() {
        edge.send(GET);
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello");
        edge.clientHangsUp();

        assertThat(edge.target().finished).containsExactly("499 healthy");
        assertThat(edge.instance().open()).isFalse();
    }

    @Test
    void clientHangingUp_whileTheTargetIsFound_finishesItOnceItOpens() {
        edge.openAtOnce = false;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        edge.clientHangsUp();
        assertThat(edge.target().finished).isEmpty();

        edge.target().opened();

        assertThat(edge.target().finished).containsExactly("499 healthy");
        assertThat(edge.connections()).isEmpty();
    }

    @Test
    void clientHangingUp_whileConnecting_closesTheNewConnection() {
        edge.connect = Connect.HOLD;
        edge.send(GET);
        edge.clientHangsUp();
        edge.instance().accept();

        assertThat(edge.instance().open()).isFalse();
        assertThat(edge.instance().received()).isEmpty();
        assertThat(edge.target().finished).containsExactly("499 healthy");
    }

    @Test
    void clientHangingUp_betweenRefusals_stopsTheRetries() {
        edge.fresh = true;
        edge.connect = Connect.REFUSE;
        edge.send(GET);
        edge.clientHangsUp();
        edge.advance(10);

        assertThat(edge.connections()).hasSize(1);
        assertThat(edge.target().finished).containsExactly("499 healthy");
    }

    // --- the platform saying no ----------------------------------------------------------------------------------

    @Test
    void rejected_afterTheWholeRequest_isAnswered_andTheConnectionKept() {
        edge.openAtOnce = false;
        edge.send(GET);
        edge.target().rejected(ErrorCode.SATURATED, "fn=hello: all 4 instances are busy");

        assertError(429, "saturated", "fn=hello: all 4 instances are busy");
        assertThat(edge.clientOpen()).isTrue();
        assertThat(edge.target().finished).as("nothing was opened").isEmpty();
        assertThat(edge.connections()).isEmpty();
    }

    @Test
    void rejected_beforeTheBodyIsRead_isAnsweredOnceItIs() {
        edge.openAtOnce = false;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
        edge.target().rejected(ErrorCode.FUNCTION_NOT_FOUND, "Function 'hello' is not deployed");
        assertThat(edge.received()).isEmpty();
        assertThat(edge.readingClient()).isTrue();

        edge.send("world");

        assertError(404, "function_not_found", "Function 'hello' is not deployed");
        assertThat(edge.clientOpen()).isTrue();
    }

    // --- the function's timeout ----------------------------------------------------------------------------------

    @Test
    void functionTimeout_beforeTheHead_is504Json_andRetiresTheInstance() {
        edge.timeoutMillis = 1_000;
        edge.send(GET);
        edge.advance(999);
        assertThat(edge.received()).isEmpty();
        edge.advance(1);

        assertError(504, "timeout", "fn=hello inst=hello-1: no response within the function's timeout of 1000 ms");
        assertThat(edge.target().finished).as("it had the whole request: its work goes on, uncounted")
                .containsExactly("504 unhealthy");
        assertThat(edge.instance().open()).isFalse();
        assertThat(edge.clientOpen()).isTrue();
    }

    @Test
    void functionTimeout_afterTheHead_abortsTheClientConnection() {
        edge.timeoutMillis = 1_000;
        edge.send(GET);
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello");
        edge.advance(1_000);

        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("hello");
        assertThat(edge.clientOpen()).isFalse();
        assertThat(edge.instance().open()).isFalse();
        assertThat(edge.target().finished).as("a slow reader may hold the answer back").containsExactly("504 healthy");
    }

    @Test
    void functionTimeout_isAbsolute_answerPiecesDoNotMoveIt() {
        edge.timeoutMillis = 1_000;
        edge.send(GET);
        edge.advance(600);
        edge.instance().answer("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello");
        edge.advance(399);
        assertThat(edge.clientOpen()).isTrue();
        edge.advance(1);

        assertThat(edge.clientOpen()).as("cut off at the deadline from the head").isFalse();
        assertThat(edge.target().finished).containsExactly("504 healthy");
    }

    @Test
    void functionTimeout_isAbsolute_bodyPiecesDoNotMoveIt_andTheSlotIsReleased() {
        edge.timeoutMillis = 3_000;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int second = 0; second < 2; second++) {
            edge.send("400\r\n" + "a".repeat(1024) + "\r\n"); // 1 KiB/s: the minimum body rate, just
            edge.advance(1_000);
        }
        edge.send("400\r\n" + "a".repeat(1024) + "\r\n");
        edge.advance(999);
        assertThat(edge.target().finished).isEmpty();
        edge.advance(1);

        assertError(504, "timeout", "fn=hello inst=hello-1: no response within the function's timeout of 3000 ms");
        assertThat(edge.target().finished).as("the client was slow, not the instance").containsExactly("504 healthy");
        assertThat(edge.instance().open()).as("the half-sent request goes with its connection").isFalse();
        assertThat(edge.clientOpen()).as("the rest of the body is not read").isFalse();
    }

    @Test
    void functionTimeout_doesNotCountTheWaitForAColdStart() {
        edge.timeoutMillis = 1_000;
        edge.openAtOnce = false;
        edge.send(GET);
        edge.advance(3_000); // the instance starts for this call
        edge.target().coldStartNanos = 3_000_000_000L;
        edge.target().opened();
        edge.advance(999);
        assertThat(edge.received()).isEmpty();
        edge.advance(1);

        assertThat(edge.received()).contains("\"error\":\"timeout\"");
        assertThat(edge.target().finished).containsExactly("504 unhealthy");
    }

    @Test
    void functionTimeout_countsTheWaitInTheQueue() {
        edge.timeoutMillis = 1_000;
        edge.openAtOnce = false;
        edge.send(GET);
        edge.advance(900); // no slot free yet
        edge.target().opened();
        edge.advance(100);

        assertThat(edge.received()).contains("\"error\":\"timeout\"");
        assertThat(edge.target().finished).containsExactly("504 unhealthy");
    }

    @Test
    void functionTimeout_shorterAfterALongerOne_onOneConnection_stillFires() {
        edge.timeoutMillis = 30_000;
        edge.send(GET);
        edge.instance().answer(OK_HELLO);
        edge.timeoutMillis = 1_000;
        edge.send(GET);
        edge.advance(1_000);

        assertThat(edge.received()).contains("\"error\":\"timeout\"");
        assertThat(edge.targets().getLast().finished).containsExactly("504 unhealthy");
    }

    @Test
    void noTimeout_waitsAsLongAsItTakes() {
        edge.send(GET);
        edge.advance(3_600_000);
        edge.instance().answer(OK_HELLO);

        assertThat(edge.received()).endsWith("hello");
    }

    // --- the body limit ------------------------------------------------------------------------------------------

    @Test
    void declaredBodyPastTheLimit_is413_andTheConnectionCloses() {
        edge.maxBodyBytes = 8;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n0123456789abcdef");

        assertError(413, "body_too_large", "Request body exceeds the limit of 8 bytes (maxBodyBytes)");
        assertThat(edge.clientOpen()).isFalse();
        assertThat(edge.target().finished).containsExactly("413 healthy");
        assertThat(edge.instance().open()).isFalse();
        assertThat(edge.instance().received()).isEmpty();
    }

    @Test
    void chunkedBodyPastTheLimit_is413_andClosesTheUpstream() {
        edge.maxBodyBytes = 8;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        assertThat(edge.instance().received()).endsWith("5\r\nhello\r\n");
        edge.send("5\r\nworld\r\n");

        assertError(413, "body_too_large", "Request body exceeds the limit of 8 bytes (maxBodyBytes)");
        assertThat(edge.clientOpen()).isFalse();
        assertThat(edge.instance().open()).isFalse();
        assertThat(edge.target().finished).containsExactly("413 healthy");
    }

    @Test
    void bodyPastTheLimit_beforeTheTargetOpens_finishesItWhenItDoes() {
        edge.maxBodyBytes = 8;
        edge.openAtOnce = false;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n0123456789abcdef");
        assertThat(statusOf(edge.received())).isEqualTo(413);
        assertThat(edge.target().finished).isEmpty();

        edge.target().opened();

        assertThat(edge.target().finished).containsExactly("413 healthy");
        assertThat(edge.connections()).isEmpty();
    }

    @Test
    void bodyPastTheLimit_afterTheAnswerStarted_abortsTheClient() {
        edge.maxBodyBytes = 8;
        edge.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        edge.instance().answer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n");
        edge.send("5\r\nworld\r\n");

        assertThat(edge.received()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("2\r\nok\r\n");
        assertThat(edge.clientOpen()).isFalse();
        assertThat(edge.instance().open()).isFalse();
        assertThat(edge.target().finished).containsExactly("413 healthy");
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    private void assertError(int status, String error, String message) {
        String received = edge.received();
        assertThat(statusOf(received)).as(received).isEqualTo(status);
        assertThat(received).containsIgnoringCase("content-type: application/json\r\n")
                .contains("{\"error\":\"" + error + "\",\"message\":\"")
                .contains(message.replace("\"", "\\\""));
    }

    private static int statusOf(String received) {
        assertThat(received).startsWith("HTTP/1.1 ");
        return Integer.parseInt(received.substring(9, 12));
    }
}
