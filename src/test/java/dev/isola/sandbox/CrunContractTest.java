package dev.isola.sandbox;

/** The container contract on {@code crun} (in a private mount namespace on hybrid cgroup hosts). */
class CrunContractTest extends IsolationContractTest {
    @Override
    public String backend() {
        return "crun";
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
