package dev.isola.bench;

import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.HostException;
import dev.isola.host.ProcessRunner;

/**
 * The host programs one bench run uses (hey, perf, sync, the tools whose versions the metadata records), all run by
 * the run's one {@link ProcessRunner}, which the command that configures the run creates and hands down. Made once
 * per run, so that what is probed once (whether perf counts here) is probed once per run.
 */
record Tools(ProcessRunner runner, Hey hey, PerfStat perf, MemInfo memory) {
    static Tools on(ProcessRunner runner) {
        return new Tools(runner, new Hey(runner), new PerfStat(runner), new MemInfo(runner));
    }

    /**
     * {@link ProcessRunner#result(Command)} for the measurements, which stop on Ctrl-C: an interrupt (the child is
     * killed by then) is an {@link InterruptedException}, a program that cannot be started a {@link BenchException}.
     */
    static CommandResult result(ProcessRunner runner, Command command) throws InterruptedException {
        try {
            return runner.result(command);
        } catch (HostException e) {
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while running " + command.describe());
            }
            throw new BenchException(e.getMessage(), e);
        }
    }
}
