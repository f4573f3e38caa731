package dev.isola.sandbox;

/** The contract on the {@code process} backend. */
class ProcessContractTest extends SandboxContractTest {
    @Override
    protected String backend() {
        return "process";
    }
}
