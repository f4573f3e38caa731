package dev.isola.gateway;

import dev.isola.testing.IsolaServerExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The edge's HTTP/1.1 handling on the transport {@code auto} picks: io_uring where the kernel offers it. */
class EdgeProxyTest extends EdgeProxyContract {
    @RegisterExtension
    static final IsolaServerExtension SERVER = serverOn("auto");

    @Override
    IsolaServerExtension server() {
        return SERVER;
    }
}
