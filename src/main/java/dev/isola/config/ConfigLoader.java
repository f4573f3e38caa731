package dev.isola.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.isola.host.Executables;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One configuration path: defaults, then the YAML file, then {@code ISOLA_*} environment variables, then command-line
 * flags (applied by the caller with the {@code with*} methods). This is the only place that reads the process
 * environment ({@link #environment}); everything below gets what it needs from the records built here.
 *
 * <p>Sandbox backends own sections: {@code sandbox: {runsc: {platform: systrap}}} in the file, or
 * {@code ISOLA_SANDBOX_RUNSC_PLATFORM=systrap} in the environment (key words in capitals joined by underscores:
 * {@code ISOLA_SANDBOX_MICROVM_TB_MIB} is {@code sandbox.microvm.tbMib}). The older names
 * {@code ISOLA_RUNSC_PLATFORM} and {@code ISOLA_MICROVM_TB_MIB} still work.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final String SANDBOX_ENV = "ISOLA_SANDBOX_";
    private static final Map<String, String> LEGACY_SANDBOX_ENV = Map.of(
            "ISOLA_RUNSC_PLATFORM", "runsc.platform",
            "ISOLA_MICROVM_TB_MIB", "microvm.tbMib");

    private ConfigLoader() {
    }

    /** The file's keys, all optional. */
    record FileConfig(@JsonProperty("host") String host, @JsonProperty("port") Integer port,
                      @JsonProperty("stateDir") String stateDir, @JsonProperty("defaultBackend") String defaultBackend,
                      @JsonProperty("maxBodyBytes") Long maxBodyBytes,
                      @JsonProperty("maxArchiveBytes") Long maxArchiveBytes,
                      @JsonProperty("queueLimit") Integer queueLimit, @JsonProperty("startTimeout") String startTimeout,
                      @JsonProperty("drainTimeout") String drainTimeout,
                      @JsonProperty("logMaxBytes") Long logMaxBytes,
                      @JsonProperty("gatewayThreads") Integer gatewayThreads,
                      @JsonProperty("gatewaySpinMicros") Integer gatewaySpinMicros,
                      @JsonProperty("gatewayTransport") String gatewayTransport,
                      @JsonProperty("startAdmission") String startAdmission,
                      @JsonProperty("spareNetworks") Integer spareNetworks,
                      @JsonProperty("firewallCheckInterval") String firewallCheckInterval,
                      @JsonProperty("headerTimeout") String headerTimeout,
                      @JsonProperty("keepAliveTimeout") String keepAliveTimeout,
                      @JsonProperty("minBodyRate") Long minBodyRate,
                      @JsonProperty("maxClientConnections") Integer maxClientConnections,
                      @JsonProperty("buildCache") String buildCache,
                      @JsonProperty("adminHost") String adminHost,
                      @JsonProperty("adminPort") Integer adminPort,
                      @JsonProperty("adminTlsCert") String adminTlsCert,
                      @JsonProperty("adminTlsKey") String adminTlsKey,
                      @JsonProperty("isolationFloor") String isolationFloor,
                      @JsonProperty("allowEgress") Boolean allowEgress,
                      @JsonProperty("egressPrivateRanges") List<String> egressPrivateRanges,
                      @JsonProperty("nodeMaxInstances") Integer nodeMaxInstances,
                      @JsonProperty("nodeMemory") String nodeMemory,
                      @JsonProperty("asyncQueueLimit") Long asyncQueueLimit,
                      @JsonProperty("asyncRetryBackoff") String asyncRetryBackoff,
                      @JsonProperty("asyncCallbackHosts") List<String> asyncCallbackHosts,
                      @JsonProperty("asyncResultMaxBytes") Long asyncResultMaxBytes,
                      @JsonProperty("asyncRetention") String asyncRetention,
                      @JsonProperty("asyncMaxBodyBytes") Long asyncMaxBodyBytes,
                      @JsonProperty("asyncBufferBytes") Long asyncBufferBytes,
                      @JsonProperty("asyncQueueBytes") Long asyncQueueBytes,
                      @JsonProperty("asyncResultBytes") Long asyncResultBytes,
                      @JsonProperty("sandbox") Map<String, Map<String, Object>> sandbox) {
        static final FileConfig EMPTY = new FileConfig(null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** One variable of the platform's environment, if set and not blank. */
    public static Optional<String> environment(String name) {
        return Optional.ofNullable(System.getenv(name)).filter(v -> !v.isBlank());
    }

    /** From the file (if any) and the platform's environment. */
    public static IsolaConfig load(Optional<Path> file) {
        return load(file, System.getenv());
    }

    public static IsolaConfig load(Optional<Path> file, Map<String, String> env) {
        IsolaConfig c = IsolaConfig.defaults();
        FileConfig f = file.map(ConfigLoader::read).orElse(FileConfig.EMPTY);
        // A relative path in the file means beside the file, wherever the server starts (systemd starts it in /); in
        // a variable, beside where it is set.
        Path base = file.map(p -> p.toAbsolutePath().getParent()).orElse(Path.of("").toAbsolutePath());
        Function<String, Path> fromFile = s -> base.resolve(s).normalize();
        String host = pick(env, "ISOLA_HOST", f.host(), c.host(), s -> s);
        int port = pick(env, "ISOLA_PORT", f.port(), c.port(), s -> parse("port", s, Integer::parseInt));
        Path stateDir = pick(env, "ISOLA_STATE_DIR", f.stateDir() == null ? null : fromFile.apply(f.stateDir()),
                c.stateDir(), ConfigLoader::absolute);
        String backend = pick(env, "ISOLA_DEFAULT_BACKEND", f.defaultBackend(), c.defaultBackend(), s -> s);
        long maxBody = pick(env, "ISOLA_MAX_BODY_BYTES", f.maxBodyBytes(), c.maxBodyBytes(),
                s -> parse("maxBodyBytes", s, Long::parseLong));
        long maxArchive = pick(env, "ISOLA_MAX_ARCHIVE_BYTES", f.maxArchiveBytes(), c.maxArchiveBytes(),
                s -> parse("maxArchiveBytes", s, Long::parseLong));
        int queue = pick(env, "ISOLA_QUEUE_LIMIT", f.queueLimit(), c.queueLimit(),
                s -> parse("queueLimit", s, Integer::parseInt));
        Duration start = pickDuration(env, "ISOLA_START_TIMEOUT", "startTimeout", f.startTimeout(), c.startTimeout());
        Duration drain = pickDuration(env, "ISOLA_DRAIN_TIMEOUT", "drainTimeout", f.drainTimeout(), c.drainTimeout());
        long logMax = pick(env, "ISOLA_LOG_MAX_BYTES", f.logMaxBytes(), c.logMaxBytes(),
                s -> parse("logMaxBytes", s, Long::parseLong));
        int gatewayThreads = pick(env, "ISOLA_GATEWAY_THREADS", f.gatewayThreads(), c.gatewayThreads(),
                s -> parse("gatewayThreads", s, Integer::parseInt));
        int gatewaySpin = pick(env, "ISOLA_GATEWAY_SPIN_MICROS", f.gatewaySpinMicros(), c.gatewaySpinMicros(),
                s -> parse("gatewaySpinMicros", s, Integer::parseInt));
        String transport = pick(env, "ISOLA_GATEWAY_TRANSPORT", f.gatewayTransport(), c.gatewayTransport(), s -> s);
        String admission = pick(env, "ISOLA_START_ADMISSION", f.startAdmission(), c.startAdmission(), s -> s);
        int spares = pick(env, "ISOLA_SPARE_NETWORKS", f.spareNetworks(), c.spareNetworks(),
                s -> parse("spareNetworks", s, Integer::parseInt));
        Duration firewallCheck = pick(env, "ISOLA_FIREWALL_CHECK_INTERVAL", f.firewallCheckInterval() == null ? null
                        : parse("firewallCheckInterval", f.firewallCheckInterval(), ConfigLoader::duration),
                c.firewallCheckInterval(), s -> parse("firewallCheckInterval", s, ConfigLoader::duration));
        ClientConfig clients = new ClientConfig(
                pickDuration(env, "ISOLA_HEADER_TIMEOUT", "headerTimeout", f.headerTimeout(),
                        c.clients().headerTimeout()),
                pickDuration(env, "ISOLA_KEEP_ALIVE_TIMEOUT", "keepAliveTimeout", f.keepAliveTimeout(),
                        c.clients().keepAliveTimeout()),
                pick(env, "ISOLA_MIN_BODY_RATE", f.minBodyRate(), c.clients().minBodyRate(),
                        s -> parse("minBodyRate", s, Long::parseLong)),
                pick(env, "ISOLA_MAX_CLIENT_CONNECTIONS", f.maxClientConnections(),
                        c.clients().maxClientConnections(), s -> parse("maxClientConnections", s, Integer::parseInt)));
        Optional<Path> buildCache = Optional.ofNullable(pick(env, "ISOLA_BUILD_CACHE",
                f.buildCache() == null ? null : fromFile.apply(f.buildCache()), null, ConfigLoader::absolute));
        return new IsolaConfig(host, port, stateDir, backend, maxBody, maxArchive, queue, start, drain, logMax,
                gatewayThreads, gatewaySpin, transport, admission, spares, firewallCheck, clients, sandboxSections(f.sandbox(), env),
                buildCache, Executables.fromPath(Optional.ofNullable(env.get("PATH"))), trust(f, env, c.trust()),
                new AdminListener(pick(env, "ISOLA_ADMIN_HOST", f.adminHost(), c.admin().host(), s -> s),
                        pick(env, "ISOLA_ADMIN_PORT", f.adminPort(), c.admin().port(),
                                s -> parse("adminPort", s, Integer::parseInt)),
                        AdminListener.tls(path(env, "ISOLA_ADMIN_TLS_CERT", f.adminTlsCert(), fromFile),
                                path(env, "ISOLA_ADMIN_TLS_KEY", f.adminTlsKey(), fromFile))), async(f, env, c.async()),
                new NodeConfig(pick(env, "ISOLA_NODE_MAX_INSTANCES", f.nodeMaxInstances(), c.node().maxInstances(),
                        s -> parse("nodeMaxInstances", s, Integer::parseInt)),
                        pick(env, "ISOLA_NODE_MEMORY", f.nodeMemory() == null ? null
                                : parse("nodeMemory", f.nodeMemory(), ConfigLoader::bytes), c.node().memoryBytes(),
                                s -> parse("nodeMemory", s, ConfigLoader::bytes))));
    }

    /** {@code 20Gi}, {@code 512Mi}, {@code 1024Ki} or plain bytes. */
    static long bytes(String s) {
        String number = s.replaceAll("[KMG]i$", "");
        long n = Long.parseLong(number);
        return switch (s.substring(number.length())) {
            case "Ki" -> Math.multiplyExact(n, 1L << 10);
            case "Mi" -> Math.multiplyExact(n, 1L << 20);
            case "Gi" -> Math.multiplyExact(n, 1L << 30);
            default -> n;
        };
    }

    private static Optional<Path> path(Map<String, String> env, String var, String inFile,
                                       Function<String, Path> fromFile) {
        return Optional.ofNullable(pick(env, var, inFile == null ? null : fromFile.apply(inFile), null,
                ConfigLoader::absolute));
    }

    private static Path absolute(String path) {
        return Path.of(path).toAbsolutePath().normalize();
    }

    private static AsyncConfig async(FileConfig f, Map<String, String> env, AsyncConfig d) {
        return new AsyncConfig(
                pick(env, "ISOLA_ASYNC_QUEUE_LIMIT", f.asyncQueueLimit(), d.queueLimit(),
                        s -> parse("asyncQueueLimit", s, Long::parseLong)),
                pickDuration(env, "ISOLA_ASYNC_RETRY_BACKOFF", "asyncRetryBackoff", f.asyncRetryBackoff(),
                        d.retryBackoff()),
                pick(env, "ISOLA_ASYNC_CALLBACK_HOSTS", f.asyncCallbackHosts(), d.callbackHosts(), ConfigLoader::list),
                pick(env, "ISOLA_ASYNC_RESULT_MAX_BYTES", f.asyncResultMaxBytes(), d.resultMaxBytes(),
                        s -> parse("asyncResultMaxBytes", s, Long::parseLong)),
                pickDuration(env, "ISOLA_ASYNC_RETENTION", "asyncRetention", f.asyncRetention(), d.retention()),
                pick(env, "ISOLA_ASYNC_MAX_BODY_BYTES", f.asyncMaxBodyBytes(), d.maxBodyBytes(),
                        s -> parse("asyncMaxBodyBytes", s, Long::parseLong)),
                pick(env, "ISOLA_ASYNC_BUFFER_BYTES", f.asyncBufferBytes(), d.bufferBytes(),
                        s -> parse("asyncBufferBytes", s, Long::parseLong)),
                pick(env, "ISOLA_ASYNC_QUEUE_BYTES", f.asyncQueueBytes(), d.queueBytes(),
                        s -> parse("asyncQueueBytes", s, Long::parseLong)),
                pick(env, "ISOLA_ASYNC_RESULT_BYTES", f.asyncResultBytes(), d.resultBytes(),
                        s -> parse("asyncResultBytes", s, Long::parseLong)));
    }

    /** A comma-separated list, blanks dropped. */
    private static List<String> list(String s) {
        return Arrays.stream(s.split(",")).map(String::strip).filter(r -> !r.isEmpty()).toList();
    }

    private static TrustPolicy trust(FileConfig f, Map<String, String> env, TrustPolicy defaults) {
        String floor = pick(env, "ISOLA_ISOLATION_FLOOR", f.isolationFloor(), defaults.isolationFloor(), s -> s);
        boolean egress = pick(env, "ISOLA_ALLOW_EGRESS", f.allowEgress(), defaults.allowEgress(),
                s -> parse("allowEgress", s, ConfigLoader::bool));
        List<String> ranges = pick(env, "ISOLA_EGRESS_PRIVATE_RANGES", f.egressPrivateRanges(),
                defaults.egressPrivateRanges(),
                ConfigLoader::list);
        return new TrustPolicy(floor, egress, ranges);
    }

    private static boolean bool(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException(s);
        };
    }

    /** The file's {@code sandbox} sections, then the environment's {@code ISOLA_SANDBOX_<TYPE>_<KEY>} over them. */
    private static Map<String, Section> sandboxSections(Map<String, Map<String, Object>> fromFile,
                                                        Map<String, String> env) {
        Map<String, Map<String, String>> values = new HashMap<>();
        if (fromFile != null) {
            fromFile.forEach((type, keys) -> {
                Map<String, String> section = values.computeIfAbsent(type, t -> new HashMap<>());
                if (keys != null) {
                    keys.forEach((key, value) -> section.put(key, String.valueOf(value)));
                }
            });
        }
        env.forEach((name, value) -> {
            String typeAndKey = LEGACY_SANDBOX_ENV.get(name);
            if (typeAndKey == null && name.startsWith(SANDBOX_ENV) && name.indexOf('_', SANDBOX_ENV.length()) > 0) {
                String rest = name.substring(SANDBOX_ENV.length());
                int cut = rest.indexOf('_');
                typeAndKey = rest.substring(0, cut).toLowerCase(Locale.ROOT) + "." + camelCase(rest.substring(cut + 1));
            }
            if (typeAndKey != null && !value.isBlank()) {
                int dot = typeAndKey.indexOf('.');
                values.computeIfAbsent(typeAndKey.substring(0, dot), t -> new HashMap<>())
                        .put(typeAndKey.substring(dot + 1), value.trim());
            }
        });
        Map<String, Section> sections = new HashMap<>();
        values.forEach((type, keys) -> sections.put(type, new Section("sandbox." + type, keys)));
        return sections;
    }

    /** {@code TB_MIB} → {@code tbMib}. */
    static String camelCase(String words) {
        StringBuilder out = new StringBuilder();
        for (String word : words.toLowerCase(Locale.ROOT).split("_")) {
            if (!word.isEmpty()) {
                out.append(out.isEmpty() ? word : Character.toUpperCase(word.charAt(0)) + word.substring(1));
            }
        }
        return out.toString();
    }

    private static FileConfig read(Path file) {
        try {
            FileConfig f = YAML.readValue(Files.readAllBytes(file), FileConfig.class);
            return f == null ? FileConfig.EMPTY : f;
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

    /** A duration from the environment, else the file, else the default; a bad one names {@code key}. */
    private static Duration pickDuration(Map<String, String> env, String var, String key, String fromFile,
                                         Duration fallback) {
        return pick(env, var, fromFile == null ? null : parse(key, fromFile, ConfigLoader::duration), fallback,
                s -> parse(key, s, ConfigLoader::duration));
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
