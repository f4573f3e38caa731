package dev.isola.sandbox;

/** The container contract on {@code runsc} (gVisor, ptrace platform by default). */
class RunscContractTest extends IsolationContractTest {
    @Override
    public String backend() {
        return "runsc";
    }

    /**
     * Under gVisor the limit surfaces inside the sandbox: the Go runtime's allocation fails and it exits with its own
     * "fatal error: runtime: out of memory" (status 2), which gVisor relays to the platform sometimes only after the
     * 502 went out. The instance is still replaced; only the wording is not guaranteed.
     */
    @Override
    protected boolean namesOutOfMemory() {
        return false;
    }

    @Override
    protected boolean filtersSyscalls() {
        return false;
    }
}
