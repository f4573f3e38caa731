package dev.isola.gateway;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EdgeTransportTest {
    @Test
    void aLoopPerCore_onHostsOfMoreThanTwoCores_andOneOnSmallerOnes() {
        assertThat(EdgeTransport.defaultThreads(1)).isEqualTo(1);
        assertThat(EdgeTransport.defaultThreads(2)).as("clients and functions share the two cores").isEqualTo(1);
        assertThat(EdgeTransport.defaultThreads(3)).isEqualTo(3);
        assertThat(EdgeTransport.defaultThreads(16)).isEqualTo(16);
    }
}
