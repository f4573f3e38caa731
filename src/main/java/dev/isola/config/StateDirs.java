package dev.isola.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the server keeps its state (database, artefacts, logs, admin token), shared by server and CLI so that a
 * CLI on the same host finds the token the server wrote without being told.
 */
public final class StateDirs {
    /** File in the state dir holding the admin API's bearer token. */
    public static final String ADMIN_TOKEN_FILE = "admin-token";

    private StateDirs() {
    }

    /**
     * {@code $ISOLA_STATE_DIR} if set; else {@code /var/lib/isola} for root (the system service); else
     * {@code ~/.local/share/isola}, so an unprivileged developer never needs write access to /var/lib.
     */
    public static Path defaultStateDir() {
        return defaultStateDir(ConfigLoader.environment("ISOLA_STATE_DIR").map(v -> Map.of("ISOLA_STATE_DIR", v))
                        .orElse(Map.of()), System.getProperty("user.name"),
                Path.of(System.getProperty("user.home")));
    }

    public static Path adminTokenFile(Path stateDir) {
        return stateDir.resolve(ADMIN_TOKEN_FILE);
    }

    static Path defaultStateDir(Map<String, String> env, String userName, Path home) {
        String fromEnv = env.get("ISOLA_STATE_DIR");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv);
        }
        if ("root".equals(userName)) {
            return Path.of("/var/lib/isola");
        }
        return home.resolve(".local").resolve("share").resolve("isola");
    }
}
