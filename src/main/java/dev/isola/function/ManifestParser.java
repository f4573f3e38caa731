package dev.isola.function;

import java.util.Set;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.isola.IsolaException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads {@code function.yaml} into a validated {@link Manifest}, and writes a manifest back to its wire form.
 *
 * <p>Two steps: Jackson maps the YAML onto {@link ManifestWire} (unknown fields, duplicate keys, wrong types and
 * trailing documents are rejected there), then {@link #validate} checks values and fills defaults. Every problem
 * becomes an {@link InvalidFunctionException} with code {@code invalid_manifest} and a message that starts with the
 * field's path, because the deployer reads it verbatim.
 */
public final class ManifestParser {
    /** A manifest is a few lines; the bound keeps a hostile upload from costing parser time. */
    public static final int MAX_BYTES = 64 * 1024;

    private static final Set<String> KERNELS = Set.of("minimal", "generic");
    private static final String CODE = "invalid_manifest";
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern BACKEND = Pattern.compile("[a-z0-9-]{1,32}");
    private static final int MAX_ENTRY_LENGTH = 1024;
    /** Exported Go identifiers, ASCII only: the generated main names the handler, so it must be one Go accepts. */
    private static final Pattern GO_HANDLER = Pattern.compile("[A-Z][A-Za-z0-9_]{0,127}");
    private static final List<String> NODE_HANDLER_SUFFIXES = List.of(".mjs", ".js", ".cjs");
    /**
     * {@code module:attribute} of a WSGI application, both dotted ASCII identifiers: the wrapper imports the module
     * and follows the attributes, and nothing else can reach it (no expression is evaluated).
     */
    private static final Pattern PYTHON_HANDLER = Pattern.compile(
            "[A-Za-z_][A-Za-z0-9_]{0,63}(\\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}:[A-Za-z_][A-Za-z0-9_]{0,63}"
                    + "(\\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}");
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ManifestParser() {
    }

    public static Manifest parse(Path file) {
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw tooLarge();
            }
            return parse(Files.readString(file));
        } catch (CharacterCodingException e) {
            throw invalid("function.yaml is not valid UTF-8");
        } catch (IOException e) {
            throw new IsolaException("Failed to read manifest " + file + ": " + e.getMessage(), e);
        }
    }

    public static Manifest parse(String yaml) {
        if (yaml.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw tooLarge();
        }
        ManifestWire wire;
        try (JsonParser parser = YAML.createParser(yaml)) {
            // A document of only comments has no tokens at all; Jackson would call that "no content to map".
            if (parser.nextToken() == null) {
                throw invalid("function.yaml is empty");
            }
            wire = YAML.readValue(parser, ManifestWire.class);
        } catch (JacksonException e) {
            throw translate(e);
        } catch (IOException e) {
            throw new IsolaException("Failed to read manifest: " + e.getMessage(), e);
        }
        if (wire == null) {
            throw invalid("function.yaml is empty");
        }
        return validate(wire);
    }

    /**
     * The manifest in its wire form, with durations ({@code "30s"}) and memory ({@code "512Mi"}) as the YAML would
     * write them; an absent backend is left out. Parsing this map's YAML gives back an equal manifest.
     */
    public static Map<String, Object> toWire(Manifest manifest) {
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("memory", ManifestUnits.formatMemory(manifest.limits().memoryBytes()));
        double cpus = manifest.limits().cpus();
        limits.put("cpus", cpus == Math.rint(cpus) ? (Object) (long) cpus : (Object) cpus);
        limits.put("timeout", ManifestUnits.formatDuration(manifest.limits().timeout()));

        Scaling s = manifest.scaling();
        Map<String, Object> scaling = new LinkedHashMap<>();
        scaling.put("concurrency", s.concurrency());
        scaling.put("minInstances", s.minInstances());
        scaling.put("maxInstances", s.maxInstances());
        scaling.put("idleTimeout", ManifestUnits.formatDuration(s.idleTimeout()));
        scaling.put("singleUse", s.singleUse());
        if (s.standby() > 0) {
            scaling.put("standby", s.standby()); // absent when 0: manifests stored before the field read the same
        }
        if (!s.clones()) {
            scaling.put("clones", false); // absent when on, for the same reason
        }

        Map<String, Object> wire = new LinkedHashMap<>();
        wire.put("name", manifest.name().value());
        wire.put("runtime", manifest.runtime().wireName());
        wire.put("entry", manifest.entry());
        manifest.handler().ifPresent(h -> wire.put("handler", h));
        wire.put("env", Collections.unmodifiableMap(new TreeMap<>(manifest.env())));
        manifest.backend().ifPresent(b -> wire.put("backend", b));
        manifest.kernel().ifPresent(k -> wire.put("kernel", k));
        wire.put("egress", manifest.egress());
        wire.put("limits", Collections.unmodifiableMap(limits));
        wire.put("scaling", Collections.unmodifiableMap(scaling));
        AsyncPolicy a = manifest.async();
        if (!a.equals(AsyncPolicy.defaults(manifest.limits(), s))) {
            // absent when default: manifests stored before the section read the same
            Map<String, Object> async = new LinkedHashMap<>();
            async.put("maxAttempts", a.maxAttempts());
            async.put("timeout", ManifestUnits.formatDuration(a.timeout()));
            async.put("concurrency", a.concurrency());
            wire.put("async", Collections.unmodifiableMap(async));
        }
        return Collections.unmodifiableMap(wire);
    }

    private static Manifest validate(ManifestWire wire) {
        if (wire.name() == null || wire.name().isBlank()) {
            throw invalid("name is required");
        }
        FunctionName name;
        try {
            name = FunctionName.of(wire.name());
        } catch (InvalidFunctionException e) {
            throw invalid("name: " + e.getMessage());
        }
        Runtime runtime = runtime(wire.runtime());
        Optional<String> handler = handler(wire.handler(), runtime);
        Limits limits = limits(wire.limits());
        Scaling scaling = scaling(wire.scaling());
        return new Manifest(name, runtime, entry(wire.entry(), runtime, handler), handler, env(wire.env()),
                backend(wire.backend()), kernel(wire.kernel()), Boolean.TRUE.equals(wire.egress()), limits, scaling,
                async(wire.async(), limits, scaling));
    }

    /**
     * Go: the name of an exported func in the package at {@code entry}. Node.js: the module file, which then is the
     * entry too. Only names the generated main and the wrapper can use safely pass, so a bad one is a 400 here and
     * never a compile error of code the deployer did not write.
     */
    private static Optional<String> handler(String value, Runtime runtime) {
        if (value == null) {
            if (runtime == Runtime.PYTHON) {
                throw invalid("handler is required for runtime python: the WSGI application as module:attribute, "
                        + "e.g. 'main:app'");
            }
            return Optional.empty();
        }
        return Optional.of(switch (runtime) {
            case GO -> {
                if (!GO_HANDLER.matcher(value).matches()) {
                    throw invalid("handler: must be an exported Go function name (A-Z, then up to 127 of A-Z, a-z, "
                            + "0-9, '_'), got '" + value + "'");
                }
                yield value;
            }
            case NODE -> {
                String path = relativePath("handler", value);
                if (path.equals(".") || NODE_HANDLER_SUFFIXES.stream().noneMatch(path::endsWith)) {
                    throw invalid("handler: must be a module file ending in .mjs, .js or .cjs, got '" + value + "'");
                }
                yield path;
            }
            case PYTHON -> {
                if (!PYTHON_HANDLER.matcher(value).matches()) {
                    throw invalid("handler: must be a WSGI application as module:attribute (dotted Python names, "
                            + "e.g. 'main:app' or 'site.wsgi:application'), got '" + value + "'");
                }
                yield value;
            }
            case BINARY -> throw invalid("handler: only runtimes go, node and python have a handler mode");
        });
    }

    private static Runtime runtime(String value) {
        if (value == null || value.isBlank()) {
            throw invalid("runtime is required (go, node, python or binary)");
        }
        for (Runtime r : Runtime.values()) {
            if (r.wireName().equals(value)) {
                return r;
            }
        }
        throw invalid("runtime: '" + value + "' is not supported (go, node, python or binary)");
    }

    /**
     * Normalises the entry to slash-separated segments without {@code .} or empty parts; {@code "."} only for a Go
     * package at the source root. Rejecting {@code ..} here means the builder never looks outside the sources.
     */
    private static String entry(String value, Runtime runtime, Optional<String> handler) {
        if (runtime == Runtime.NODE && handler.isPresent()) {
            // The wrapper is what node runs; the handler module is the function's one entry.
            if (value != null && !relativePath("entry", value).equals(handler.get())) {
                throw invalid("entry: with a node handler the handler module is the entry; leave entry out (got '"
                        + value + "', handler '" + handler.get() + "')");
            }
            return handler.get();
        }
        if (runtime == Runtime.PYTHON) {
            // The handler names the module; the function's root is what the wrapper imports it from.
            if (value != null && !relativePath("entry", value).equals(".")) {
                throw invalid("entry: a python function is found through its handler (module:attribute); leave "
                        + "entry out (got '" + value + "')");
            }
            return ".";
        }
        if (value == null) {
            return switch (runtime) {
                case GO, PYTHON -> ".";
                case NODE -> "index.js";
                case BINARY -> throw invalid("entry is required for runtime binary (the executable's path in the archive)");
            };
        }
        String path = relativePath("entry", value);
        if (path.equals(".") && runtime != Runtime.GO) {
            throw invalid("entry: must name a file for runtime " + runtime.wireName() + ", got '" + value + "'");
        }
        return path;
    }

    /** {@code value} as slash-separated segments without {@code .} or empty parts, or {@code "."} for the root. */
    private static String relativePath(String field, String value) {
        if (value.isBlank() || value.length() > MAX_ENTRY_LENGTH) {
            throw invalid(field + ": must be a relative path of 1 to " + MAX_ENTRY_LENGTH + " characters");
        }
        if (value.startsWith("/")) {
            throw invalid(field + ": must be a relative path, not '" + value + "'");
        }
        if (value.indexOf('\\') >= 0 || value.indexOf('\0') >= 0) {
            throw invalid(field + ": must not contain backslashes or NUL characters");
        }
        List<String> segments = new ArrayList<>();
        for (String segment : value.split("/")) {
            if (segment.equals("..")) {
                throw invalid(field + ": must not contain '..' segments, got '" + value + "'");
            }
            if (!segment.isEmpty() && !segment.equals(".")) {
                segments.add(segment);
            }
        }
        return segments.isEmpty() ? "." : String.join("/", segments);
    }

    private static Map<String, String> env(Map<String, String> env) {
        if (env == null) {
            return Map.of();
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            String key = e.getKey();
            if (!ENV_KEY.matcher(key).matches()) {
                throw invalid("env." + key + ": name must match [A-Za-z_][A-Za-z0-9_]*");
            }
            if (key.startsWith("ISOLA_") || key.equals("PORT")) {
                throw invalid("env." + key + ": PORT and ISOLA_* are set by the platform");
            }
            if (e.getValue() == null) {
                throw invalid("env." + key + ": value is missing (write \"\" for an empty string)");
            }
            if (e.getValue().indexOf('\0') >= 0) {
                throw invalid("env." + key + ": value must not contain NUL characters");
            }
        }
        return env;
    }

    private static Optional<String> backend(String value) {
        if (value == null) {
            return Optional.empty();
        }
        if (!BACKEND.matcher(value).matches()) {
            throw invalid("backend: '" + value + "' is not a backend type (1-32 of a-z, 0-9, '-')");
        }
        return Optional.of(value);
    }

    private static Optional<String> kernel(String value) {
        if (value == null) {
            return Optional.empty();
        }
        if (!KERNELS.contains(value)) {
            throw invalid("kernel: '" + value + "' is not a guest kernel (minimal or generic)");
        }
        return Optional.of(value);
    }

    private static Limits limits(ManifestWire.LimitsWire wire) {
        Limits d = Limits.DEFAULT;
        if (wire == null) {
            return d;
        }
        return new Limits(
                wire.memory() == null ? d.memoryBytes() : ManifestUnits.parseMemory("limits.memory", wire.memory()),
                wire.cpus() == null ? d.cpus() : wire.cpus(),
                wire.timeout() == null ? d.timeout() : ManifestUnits.parseDuration("limits.timeout", wire.timeout()));
    }

    private static Scaling scaling(ManifestWire.ScalingWire wire) {
        Scaling d = Scaling.DEFAULT;
        if (wire == null) {
            return d;
        }
        return new Scaling(
                wire.concurrency() == null ? d.concurrency() : wire.concurrency(),
                wire.minInstances() == null ? d.minInstances() : wire.minInstances(),
                wire.maxInstances() == null ? d.maxInstances() : wire.maxInstances(),
                wire.idleTimeout() == null ? d.idleTimeout()
                        : ManifestUnits.parseDuration("scaling.idleTimeout", wire.idleTimeout()),
                wire.singleUse() == null ? d.singleUse() : wire.singleUse(),
                wire.standby() == null ? d.standby() : wire.standby(),
                wire.clones() == null ? d.clones() : wire.clones());
    }

    private static AsyncPolicy async(ManifestWire.AsyncWire wire, Limits limits, Scaling scaling) {
        AsyncPolicy d = AsyncPolicy.defaults(limits, scaling);
        if (wire == null) {
            return d;
        }
        return new AsyncPolicy(
                wire.maxAttempts() == null ? d.maxAttempts() : wire.maxAttempts(),
                wire.timeout() == null ? d.timeout() : ManifestUnits.parseDuration("async.timeout", wire.timeout()),
                wire.concurrency() == null ? d.concurrency() : wire.concurrency()).within(limits, scaling);
    }

    /** Turns Jackson's messages (class names, source excerpts) into ones a deployer can act on. */
    private static InvalidFunctionException translate(JacksonException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            String where = parentPath(u.getPath());
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", ", " (expected one of: ", ")"));
            return invalid("unknown field '" + u.getPropertyName() + "' in "
                    + (where.isEmpty() ? "function.yaml" : where) + known);
        }
        if (e instanceof MismatchedInputException m) {
            String path = path(m.getPath());
            if (path.isEmpty() && String.valueOf(m.getOriginalMessage()).startsWith("Trailing token")) {
                return invalid("function.yaml must hold exactly one YAML document" + at(e.getLocation()));
            }
            if (path.isEmpty()) {
                return invalid("function.yaml must be a YAML mapping of fields" + at(e.getLocation()));
            }
            return invalid(path + ": expected " + describe(m.getTargetType()));
        }
        if (e instanceof JsonMappingException d && !d.getPath().isEmpty()) {
            return invalid(path(d.getPath()) + ": " + firstLine(e.getOriginalMessage()));
        }
        if (e instanceof InputCoercionException) {
            return invalid("a number is out of range" + at(e.getLocation()));
        }
        return invalid("function.yaml is not valid YAML" + at(e.getLocation()) + ": " + firstLine(e.getOriginalMessage()));
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : refs) {
            if (ref.getFieldName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String parentPath(List<JsonMappingException.Reference> refs) {
        return refs.isEmpty() ? "" : path(refs.subList(0, refs.size() - 1));
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "a different value";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Integer.class || type == int.class) {
            return "a whole number";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "a mapping";
    }

    private static String at(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? ""
                : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable input";
        }
        String line = message.strip().lines().findFirst().orElse("unreadable input");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    private static InvalidFunctionException tooLarge() {
        return invalid("function.yaml is larger than " + (MAX_BYTES / 1024) + " KiB");
    }

    private static InvalidFunctionException invalid(String message) {
        return new InvalidFunctionException(CODE, message);
    }
}
