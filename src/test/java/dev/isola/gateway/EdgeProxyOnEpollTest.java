package dev.isola.gateway;

import dev.isola.testing.IsolaServerExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The edge's HTTP/1.1 handling on epoll: where io_uring is unavailable, and where the loops poll before they block. */
class EdgeProxyOnEpollTest extends EdgeProxyContract {
    @RegisterExtension
    static final IsolaServerExtension SERVER = serverOn("epoll");

    @Override
    IsolaServerExtension server() {
        return SERVER;
    }
}
