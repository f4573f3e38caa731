package dev.isola.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One configuration path: defaults, then the YAML file, then {@code ISOLA_*} environment variables, then command-line
 * flags (applied by the caller with the {@code with*} methods).
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ConfigLoader() {
    }

    /** The file's keys, all optional. */
    record FileConfig(@JsonProperty("host") String host, @JsonProperty("port") Integer port,
                      @JsonProperty("stateDir") String stateDir, @JsonProperty("defaultBackend") String defaultBackend,
                      @JsonProperty("maxBodyBytes") Long maxBodyBytes,
                      @JsonProperty("maxArchiveBytes") Long maxArchiveBytes,
                      @JsonProperty("queueLimit") Integer queueLimit, @JsonProperty("startTimeout") String startTimeout,
                      @JsonProperty("logMaxBytes") Long logMaxBytes,
                      @JsonProperty("gatewayThreads") Integer gatewayThreads,
                      @JsonProperty("gatewaySpinMicros") Integer gatewaySpinMicros) {
    }

    public static IsolaConfig load(Optional<Path> file, Map<String, String> env) {
        IsolaConfig c = IsolaConfig.defaults();
        FileConfig f = file.map(ConfigLoader::read).orElse(new FileConfig(null, null, null, null, null, null, null,
                null, null, null, null));
        String host = pick(env, "ISOLA_HOST", f.host(), c.host(), s -> s);
        int port = pick(env, "ISOLA_PORT", f.port(), c.port(), s -> parse("port", s, Integer::parseInt));
        Path stateDir = pick(env, "ISOLA_STATE_DIR", f.stateDir() == null ? null : Path.of(f.stateDir()), c.stateDir(),
                Path::of);
        String backend = pick(env, "ISOLA_DEFAULT_BACKEND", f.defaultBackend(), c.defaultBackend(), s -> s);
        long maxBody = pick(env, "ISOLA_MAX_BODY_BYTES", f.maxBodyBytes(), c.maxBodyBytes(),
                s -> parse("maxBodyBytes", s, Long::parseLong));
        long maxArchive = pick(env, "ISOLA_MAX_ARCHIVE_BYTES", f.maxArchiveBytes(), c.maxArchiveBytes(),
                s -> parse("maxArchiveBytes", s, Long::parseLong));
        int queue = pick(env, "ISOLA_QUEUE_LIMIT", f.queueLimit(), c.queueLimit(),
                s -> parse("queueLimit", s, Integer::parseInt));
        Duration start = pick(env, "ISOLA_START_TIMEOUT",
                f.startTimeout() == null ? null : parse("startTimeout", f.startTimeout(), ConfigLoader::duration),
                c.startTimeout(), s -> parse("startTimeout", s, ConfigLoader::duration));
        long logMax = pick(env, "ISOLA_LOG_MAX_BYTES", f.logMaxBytes(), c.logMaxBytes(),
                s -> parse("logMaxBytes", s, Long::parseLong));
        int gatewayThreads = pick(env, "ISOLA_GATEWAY_THREADS", f.gatewayThreads(), c.gatewayThreads(),
                s -> parse("gatewayThreads", s, Integer::parseInt));
        int gatewaySpin = pick(env, "ISOLA_GATEWAY_SPIN_MICROS", f.gatewaySpinMicros(), c.gatewaySpinMicros(),
                s -> parse("gatewaySpinMicros", s, Integer::parseInt));
        return new IsolaConfig(host, port, stateDir, backend, maxBody, maxArchive, queue, start, logMax,
                gatewayThreads, gatewaySpin);
    }

    private static FileConfig read(Path file) {
        try {
            FileConfig f = YAML.readValue(Files.readAllBytes(file), FileConfig.class);
            return f == null ? new FileConfig(null, null, null, null, null, null, null, null, null, null, null) : f;
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException("Invalid configuration in " + file + ": unknown key '" + e.getPropertyName()
                    + "'");
        } catch (IOException e) {
            throw new ConfigException("Failed to read configuration " + file + ": " + e.getMessage());
        }
    }

    private static <T> T pick(Map<String, String> env, String var, T fromFile, T fallback, Function<String, T> parse) {
        String v = env.get(var);
        if (v != null && !v.isBlank()) {
            return parse.apply(v.trim());
        }
        return fromFile != null ? fromFile : fallback;
    }

    private static <T> T parse(String key, String value, Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (RuntimeException e) {
            throw new ConfigException("Invalid configuration: '" + key + "' cannot be '" + value + "'");
        }
    }

    /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}, or plain seconds. */
    static Duration duration(String s) {
        if (s.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
        }
        long n = Long.parseLong(s.replaceAll("[smh]$", ""));
        return switch (s.charAt(s.length() - 1)) {
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
