package dev.isola.sandbox;

/** The container contract on {@code runc}. */
class RuncContractTest extends IsolationContractTest {
    @Override
    public String backend() {
        return "runc";
    }

    @Override
    protected boolean ownHostUidPerInstance() {
        return true;
    }

    @Override
    protected boolean offersStandby() {
        return true;
    }
}
