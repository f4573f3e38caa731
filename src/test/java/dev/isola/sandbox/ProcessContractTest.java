package dev.isola.sandbox;

/** The contract on the {@code process} backend. */
class ProcessContractTest extends SandboxContractTest {
    @Override
    public String backend() {
        return "process";
    }
}
