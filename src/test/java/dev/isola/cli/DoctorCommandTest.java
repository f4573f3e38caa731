package dev.isola.cli;

import dev.isola.testing.TestHost;
import dev.isola.testing.Leaks;
import dev.isola.testing.NoLeaks;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code isola doctor} on this real host: every backend with a verdict, runsc's platforms tried with a deadline. */
@NoLeaks(Leaks.Scope.PROCESSES)
class DoctorCommandTest {
    @Test
    void doctor_listsEveryBackendWithVerdict_andLeavesNothingRunning() {
        IsolaCli.Result result = IsolaCli.run("doctor");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("process    available", "[isolation: none, not isolating]", "runc", "runsc", "Tools:");
        boolean runsc = TestHost.probe("runsc").runs();
        if (runsc) {
            assertThat(result.out()).contains("platform ptrace: works", "platform kvm: ", "platform systrap: ");
        }
        Leaks.assertNoChildProcesses();
    }
}
