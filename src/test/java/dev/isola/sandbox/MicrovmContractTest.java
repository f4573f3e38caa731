package dev.isola.sandbox;

import java.util.List;
import dev.isola.server.HostBackends;
import dev.isola.config.IsolaConfig;
import dev.isola.testing.TestIsola;

/**
 * The isolation contract on {@code microvm} with Isola's minimal guest kernel. The test setup builds the kernel
 * when the shared test cache lacks it (minutes, once per machine), printing progress.
 */
class MicrovmContractTest extends IsolationContractTest {
    @Override
    public String backend() {
        return "microvm";
    }

    /** Which guest kernel the functions of this suite ask for. */
    protected String kernel() {
        return "minimal";
    }

    @Override
    public void prepareHost() {
        HostBackends.of(IsolaConfig.defaults().withBuildCache(TestIsola.sharedCacheDir()))
                .prepare(List.of("microvm"), System.out::println);
    }

    @Override
    protected String extraManifest() {
        return "kernel: " + kernel() + "\n";
    }

    @Override
    protected boolean filtersSyscalls() {
        return false;
    }
}
