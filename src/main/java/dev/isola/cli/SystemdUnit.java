package dev.isola.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The systemd unit Isola runs as: {@code Type=notify} (the server itself says ready once the edge accepts,
 * {@link SystemdNotify}), restarted on failure, logging to the journal, and given
 * the time its graceful drain may take before systemd sends SIGKILL. {@code KillMode=mixed}: SIGTERM to the JVM
 * alone, which drains and stops its sandboxes itself; the final SIGKILL to everything left in the unit's cgroup.
 *
 * @param java      the JVM binary to run
 * @param jar       the Isola jar, in its installed place
 * @param serveArgs flags for {@code isola serve}
 * @param drain     the server's drain deadline
 */
record SystemdUnit(Path java, Path jar, List<String> serveArgs, Duration drain) {
    static final String NAME = "isola.service";
    /** Beyond the drain: stopping the instances and closing the listeners after it. */
    static final Duration STOP_MARGIN = Duration.ofSeconds(30);
    /**
     * Open files the server may hold: a few per live instance (its console, sockets to it, its namespace or tap),
     * so the default 1,024 (soft) would cap a node at a few hundred instances.
     */
    static final long OPEN_FILES = 1_048_576;

    String render() {
        // Native access: SQLite's driver loads its library, and readiness goes out through libc (SystemdNotify).
        String exec = Stream.concat(Stream.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-jar",
                        jar.toString(), "serve"), serveArgs.stream())
                .map(SystemdUnit::quoted).collect(Collectors.joining(" "));
        return """
                # Written by `isola service install`; `isola service uninstall` removes it.
                [Unit]
                Description=Isola edge Function-as-a-Service platform
                After=network-online.target
                Wants=network-online.target

                [Service]
                Type=notify
                ExecStart=%s
                Restart=on-failure
                RestartSec=2
                KillMode=mixed
                TimeoutStopSec=%d
                LimitNOFILE=%d
                # The host's OOM killer takes a sandbox before the platform that serves every function.
                OOMScoreAdjust=-500
                StandardOutput=journal
                StandardError=journal

                [Install]
                WantedBy=multi-user.target
                """.formatted(exec, drain.plus(STOP_MARGIN).toSeconds(), OPEN_FILES);
    }

    /** systemd's command-line quoting: words with spaces, quotes or backslashes in double quotes, escaped. */
    private static String quoted(String word) {
        if (!word.isEmpty() && word.chars().noneMatch(c -> c == ' ' || c == '"' || c == '\\' || c == '\'' || c == '%'
                || c == '$')) {
            return word;
        }
        return '"' + word.replace("\\", "\\\\").replace("\"", "\\\"").replace("%", "%%").replace("$", "$$") + '"';
    }
}
