package dev.isola.sandbox;

/** The container contract on {@code runsc} (gVisor, ptrace platform by default). */
class RunscContractTest extends ContainerContractTest {
    @Override
    protected String backend() {
        return "runsc";
    }
}
