package dev.isola.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static dev.isola.gateway.ClientDeadlines.Due;
import static dev.isola.gateway.ClientDeadlines.NEVER;
import static dev.isola.gateway.ClientPhase.CLOSED;
import static dev.isola.gateway.ClientPhase.EXCHANGING;
import static dev.isola.gateway.ClientPhase.IDLE;
import static dev.isola.gateway.ClientPhase.READING_HEAD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A client connection's phases ({@link ClientPhase}) and the arithmetic of its deadlines, on made-up times. */
class ClientDeadlinesTest {
    private static final long S = 1_000_000_000L;
    /** Far from zero, and near the wrap of a long: ticker times are compared by difference only. */
    private static final long T0 = Long.MAX_VALUE - 40 * S - 12_345;
    /** The moves ClientPhase's comment draws, besides "any but CLOSED → CLOSED". */
    private static final Map<ClientPhase, Set<ClientPhase>> MOVES = Map.of(
            READING_HEAD, EnumSet.of(EXCHANGING),
            EXCHANGING, EnumSet.of(IDLE),
            IDLE, EnumSet.of(READING_HEAD, EXCHANGING),
            CLOSED, EnumSet.noneOf(ClientPhase.class));

    private final ClientDeadlines deadlines = new ClientDeadlines(new ClientLimits(Duration.ofSeconds(10),
            Duration.ofSeconds(75), 1000, Duration.ofSeconds(5), 100));

    @ParameterizedTest
    @EnumSource(ClientPhase.class)
    void leadsTo_onlyTheDrawnMoves_andEveryPhaseButClosedMayClose(ClientPhase from) {
        for (ClientPhase to : ClientPhase.values()) {
            boolean drawn = MOVES.get(from).contains(to) || to == CLOSED && from != CLOSED;
            assertThat(from.leadsTo(to)).as(from + " -> " + to).isEqualTo(drawn);
        }
    }

    @Test
    void head_isDueHeaderTimeoutAfterTheAccept() {
        assertThat(deadlines.nextCheck()).as("not connected yet").isEqualTo(NEVER);
        assertThat(deadlines.connected(T0)).isEqualTo(T0 + 10 * S);
        assertThat(deadlines.connected(T0 + S)).as("once").isEqualTo(T0 + 10 * S);

        assertThat(deadlines.due(T0 + 10 * S - 1)).isEqualTo(Due.NOTHING);
        assertThat(deadlines.due(T0 + 10 * S)).isEqualTo(Due.HEAD);
    }

    @Test
    void keepAlive_isDueAfterTheAnswer_andAHeadStartedThenHasItsOwnTimeout() {
        deadlines.connected(T0);
        deadlines.headReceived(T0 + S);
        assertThat(deadlines.answered(T0 + 2 * S)).isEqualTo(T0 + 77 * S);
        assertThat(deadlines.due(T0 + 76 * S)).isEqualTo(Due.NOTHING);
        assertThat(deadlines.due(T0 + 77 * S)).isEqualTo(Due.KEEP_ALIVE);

        assertThat(deadlines.headStarted(T0 + 20 * S)).isEqualTo(T0 + 30 * S);
        assertThat(deadlines.phase()).isEqualTo(READING_HEAD);
        assertThat(deadlines.due(T0 + 30 * S)).isEqualTo(Due.HEAD);
    }

    @Test
    void body_isDueOnlyWhenItFallsBelowTheRate_afterTheGrace() {
        deadlines.connected(T0);
        assertThat(deadlines.headReceived(T0)).isEqualTo(T0 + 5 * S);
        deadlines.body(3_000, false); // 3 s of credit at 1000 B/s

        assertThat(deadlines.nextCheck()).isEqualTo(T0 + 8 * S);
        assertThat(deadlines.due(T0 + 8 * S - 1)).isEqualTo(Due.NOTHING);
        assertThat(deadlines.due(T0 + 8 * S)).isEqualTo(Due.BODY);
        deadlines.body(0, true);
        assertThat(deadlines.nextCheck()).as("the whole body is in").isEqualTo(NEVER);
        assertThat(deadlines.due(T0 + 100 * S)).isEqualTo(Due.NOTHING);
    }

    @Test
    void body_timeTheEdgeHoldsTheClientBack_doesNotCount() {
        deadlines.connected(T0);
        deadlines.headReceived(T0);
        deadlines.paused(T0 + S);
        assertThat(deadlines.nextCheck()).isEqualTo(NEVER);
        assertThat(deadlines.due(T0 + 60 * S)).isEqualTo(Due.NOTHING);

        assertThat(deadlines.resumed(T0 + 61 * S)).isEqualTo(T0 + 65 * S);
    }

    @Test
    void body_noMinimumRate_isNeverDue() {
        ClientDeadlines unlimited = new ClientDeadlines(new ClientLimits(Duration.ofSeconds(10),
                Duration.ofSeconds(75), 0, Duration.ofSeconds(5), 100));
        unlimited.connected(T0);
        unlimited.headReceived(T0);

        assertThat(unlimited.nextCheck()).isEqualTo(NEVER);
        assertThat(unlimited.due(T0 + 3600 * S)).isEqualTo(Due.NOTHING);
    }

    @Test
    void closed_nothingIsDue_andNothingMoves() {
        deadlines.connected(T0);
        deadlines.closed();
        deadlines.closed();

        assertThat(deadlines.due(T0 + 3600 * S)).isEqualTo(Due.NOTHING);
        assertThatThrownBy(() -> deadlines.headReceived(T0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CLOSED cannot lead to EXCHANGING");
    }

    @Test
    void earliest_ofTwoDeadlines_eitherOfWhichMayBeNever() {
        assertThat(ClientDeadlines.earliest(NEVER, NEVER)).isEqualTo(NEVER);
        assertThat(ClientDeadlines.earliest(NEVER, T0)).isEqualTo(T0);
        assertThat(ClientDeadlines.earliest(T0, NEVER)).isEqualTo(T0);
        assertThat(ClientDeadlines.earliest(T0 + 29 * S, T0 + 31 * S)).as("across the wrap").isEqualTo(T0 + 29 * S);
    }
}
