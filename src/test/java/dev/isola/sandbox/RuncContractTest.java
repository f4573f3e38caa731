package dev.isola.sandbox;

/** The container contract on {@code runc}. */
class RuncContractTest extends IsolationContractTest {
    @Override
    protected String backend() {
        return "runc";
    }
}
