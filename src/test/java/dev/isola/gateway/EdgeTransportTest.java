package dev.isola.gateway;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class EdgeTransportTest {
    @Test
    void aLoopPerCore_onHostsOfMoreThanTwoCores_andOneOnSmallerOnes() {
        assertThat(EdgeTransport.defaultThreads(1)).isEqualTo(1);
        assertThat(EdgeTransport.defaultThreads(2)).as("clients and functions share the two cores").isEqualTo(1);
        assertThat(EdgeTransport.defaultThreads(3)).isEqualTo(3);
        assertThat(EdgeTransport.defaultThreads(16)).isEqualTo(16);
    }

    @Test
    void auto_takesIoUring_whereTheKernelOffersIt() {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        assertThat(nameOf("auto", 0)).isEqualTo("io_uring");
    }

    @Test
    void auto_takesEpoll_whenTheLoopsPoll_forOnlyEpollsLoopCan() {
        assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        assertThat(nameOf("auto", TimeUnit.MICROSECONDS.toNanos(100))).isEqualTo("epoll");
    }

    @Test
    void aNamedTransport_isTheOneUsed() {
        assertThat(nameOf("nio", 0)).isEqualTo("nio");
        if (Epoll.isAvailable()) {
            assertThat(nameOf("epoll", 0)).isEqualTo("epoll");
        }
        if (IoUring.isAvailable()) {
            assertThat(nameOf("io_uring", TimeUnit.MICROSECONDS.toNanos(100))).as("polling does not apply to it")
                    .isEqualTo("io_uring");
        }
    }

    @Test
    void aNamedTransportTheHostLacks_failsSayingWhy() {
        assumeTrue(!IoUring.isAvailable(), "io_uring is available here");
        assertThatThrownBy(() -> EdgeTransport.create("io_uring", 1, 0))
                .hasMessageContaining("gatewayTransport io_uring is not available on this host");
    }

    private static String nameOf(String kind, long spinNanos) {
        EdgeTransport transport = EdgeTransport.create(kind, 1, spinNanos);
        try {
            return transport.name();
        } finally {
            transport.group().shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
