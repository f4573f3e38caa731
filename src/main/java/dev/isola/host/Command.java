package dev.isola.host;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One run of a host program, to completion: its arguments, standard input, deadline, working directory, environment
 * and how much of its output to keep. Built with the {@code with*} methods from {@link #of}.
 *
 * @param environment the child's whole environment when present; inherited from the platform when empty
 * @param outputLimit bytes of combined stdout and stderr kept; more is read and dropped, so the child never blocks
 */
public record Command(List<String> argv, String stdin, Duration timeout, Optional<Path> directory,
                      Optional<Map<String, String>> environment, int outputLimit) {
    /** Host tools (ip, nft, a runtime's list or delete) answer in milliseconds; 30 s means something hangs. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Diagnostics of host tools are short; a build's first errors are what matters. */
    public static final int DEFAULT_OUTPUT_LIMIT = 64 * 1024;

    public Command {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs a program");
        }
        environment = environment.map(Map::copyOf);
    }

    public static Command of(List<String> argv) {
        return new Command(argv, "", DEFAULT_TIMEOUT, Optional.empty(), Optional.empty(), DEFAULT_OUTPUT_LIMIT);
    }

    public static Command of(String... argv) {
        return of(List.of(argv));
    }

    public Command withStdin(String input) {
        return new Command(argv, input, timeout, directory, environment, outputLimit);
    }

    public Command withTimeout(Duration deadline) {
        return new Command(argv, stdin, deadline, directory, environment, outputLimit);
    }

    public Command in(Path dir) {
        return new Command(argv, stdin, timeout, Optional.of(dir), environment, outputLimit);
    }

    public Command withEnvironment(Map<String, String> env) {
        return new Command(argv, stdin, timeout, directory, Optional.of(env), outputLimit);
    }

    public Command withOutputLimit(int bytes) {
        return new Command(argv, stdin, timeout, directory, environment, bytes);
    }

    /**
     * At the lowest CPU priority (nice 19): for work nobody waits on and that runs apart from the starts callers wait
     * for (spares made ahead of need, once takes pause). Not for work during a burst: a niced process holding a
     * kernel lock the starts need (rtnl, cgroups) stalls them all.
     */
    public Command niced() {
        List<String> niced = new ArrayList<>(argv.size() + 3);
        niced.addAll(List.of("nice", "-n", "19"));
        niced.addAll(argv);
        return new Command(niced, stdin, timeout, directory, environment, outputLimit);
    }

    /** For messages: the program and its arguments. */
    public String describe() {
        return String.join(" ", argv);
    }
}
