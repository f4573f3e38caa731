package dev.isola.cli;

import dev.isola.config.ConfigLoader;
import dev.isola.config.StateDirs;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the server is and how to authenticate, shared by every client subcommand. Each value falls back to an
 * environment variable and then to what works on the server's own host, so that {@code isola list} needs no flags
 * there. The token is resolved only when an admin route is called: invocations need none.
 */
final class ConnectOptions {
    static final String DEFAULT_URL = "http://127.0.0.1:8080";
    static final String DEFAULT_ADMIN_URL = "http://127.0.0.1:8081";

    @Spec(Spec.Target.MIXEE)
    private CommandSpec mixee;

    @Option(names = "--url", paramLabel = "URL",
            description = "Isola server.%nDefault: $ISOLA_URL, else " + DEFAULT_URL + ".")
    private String url;

    @Option(names = "--admin-url", paramLabel = "URL",
            description = "Isola's admin API (a port of its own, loopback by default).%nDefault: $ISOLA_ADMIN_URL, "
                    + "else " + DEFAULT_ADMIN_URL + ".")
    private String adminUrl;

    @Option(names = "--admin-ca", paramLabel = "FILE",
            description = "PEM certificate(s) to trust for an https admin URL (the server's adminTlsCert, or its CA)."
                    + "%nDefault: $ISOLA_ADMIN_CA, else the system's trusted CAs.")
    private Path adminCa;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Admin API token.%nDefault: $ISOLA_TOKEN, else the admin-token file in the state dir. "
                    + "Prefer ISOLA_TOKEN: other users can read command lines.")
    private String token;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "The server's state dir, read for admin-token.%nDefault: $ISOLA_STATE_DIR, else "
                    + "/var/lib/isola as root, else ~/.local/share/isola.")
    private Path stateDir;

    /** A client of the public port: invocations. */
    AdminClient anonymousClient() {
        return AdminClient.create(baseUrl());
    }

    /** A client of the admin API, with the token. */
    AdminClient adminClient() {
        return AdminClient.create(parse(Optional.ofNullable(adminUrl).or(() -> env("ISOLA_ADMIN_URL"))
                .orElse(DEFAULT_ADMIN_URL)), Optional.ofNullable(adminCa).or(() -> env("ISOLA_ADMIN_CA").map(Path::of)))
                .withToken(token());
    }

    URI baseUrl() {
        return parse(Optional.ofNullable(url).or(() -> env("ISOLA_URL")).orElse(DEFAULT_URL));
    }

    private URI parse(String url) {
        String raw = url.strip();
        try {
            URI uri = new URI(raw);
            String scheme = Optional.ofNullable(uri.getScheme()).orElse("").toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw invalidUrl(raw);
            }
            // Keep a path prefix (a reverse proxy may mount Isola under one) but drop trailing slashes.
            return URI.create(uri.toString().replaceAll("/+$", ""));
        } catch (URISyntaxException e) {
            throw invalidUrl(raw);
        }
    }

    String token() {
        if (token != null) {
            return checked(token, "--token");
        }
        Optional<String> fromEnv = env("ISOLA_TOKEN");
        if (fromEnv.isPresent()) {
            return checked(fromEnv.get(), "ISOLA_TOKEN");
        }
        Path dir = stateDir();
        Path file = StateDirs.adminTokenFile(dir);
        if (Files.notExists(file)) {
            throw new CliException("No admin token: pass --token, set ISOLA_TOKEN, or run on the host where the "
                    + "server's state dir " + dir + " holds " + StateDirs.ADMIN_TOKEN_FILE);
        }
        try {
            return checked(Files.readString(file).strip(), file.toString());
        } catch (AccessDeniedException e) {
            throw new CliException("Cannot read the admin token in " + file + ": permission denied. Run as the "
                    + "server's user, or pass --token or set ISOLA_TOKEN.", e);
        } catch (IOException e) {
            // Files.notExists is false but the file is unreadable: usually a state dir only its owner may enter.
            throw new CliException("Cannot read the admin token in " + file + " (" + e.getMessage() + "). Run as the "
                    + "server's user, or pass --token or set ISOLA_TOKEN.", e);
        }
    }

    Path stateDir() {
        return stateDir != null ? stateDir : StateDirs.defaultStateDir();
    }

    /** An HTTP header value cannot hold spaces or control characters; a stray newline from a file is a common cause. */
    private static String checked(String value, String source) {
        if (value.isEmpty()) {
            throw new CliException("The admin token from " + source + " is empty.");
        }
        if (!value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new CliException("The admin token from " + source + " contains spaces or non-ASCII characters.");
        }
        return value;
    }

    private ParameterException invalidUrl(String raw) {
        return new ParameterException(mixee.commandLine(),
                "Invalid server URL '" + raw + "': expected http://HOST:PORT, e.g. " + DEFAULT_URL);
    }

    private static Optional<String> env(String name) {
        return ConfigLoader.environment(name);
    }
}
