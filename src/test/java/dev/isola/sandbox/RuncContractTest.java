package dev.isola.sandbox;

/** The container contract on {@code runc}. */
class RuncContractTest extends ContainerContractTest {
    @Override
    protected String backend() {
        return "runc";
    }
}
