package dev.isola.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ManifestParserTest {

    @Test
    void parse_minimalManifest_appliesDefaults() {
        Manifest m = ManifestParser.parse("name: hello\nruntime: go\n");

        assertThat(m.name()).isEqualTo(FunctionName.of("hello"));
        assertThat(m.runtime()).isEqualTo(Runtime.GO);
        assertThat(m.entry()).isEqualTo(".");
        assertThat(m.env()).isEmpty();
        assertThat(m.backend()).isEmpty();
        assertThat(m.limits()).isEqualTo(Limits.DEFAULT);
        assertThat(m.scaling()).isEqualTo(Scaling.DEFAULT);
    }

    @Test
    void parse_fullManifest_readsEveryField() {
        Manifest m = ManifestParser.parse("""
                name: hello
                runtime: node
                entry: ./src/server.js
                env: {GREETING: hi, EMPTY: "", NUMBER: 42}
                backend: runsc
                limits: {memory: 256Mi, cpus: 0.5, timeout: 250ms}
                scaling: {concurrency: 10, minInstances: 1, maxInstances: 4, idleTimeout: 2m, singleUse: false}
                """);

        assertThat(m.entry()).isEqualTo("src/server.js");
        assertThat(m.env()).containsExactlyInAnyOrderEntriesOf(Map.of("GREETING", "hi", "EMPTY", "", "NUMBER", "42"));
        assertThat(m.backend()).contains("runsc");
        assertThat(m.limits()).isEqualTo(new Limits(256L << 20, 0.5, Duration.ofMillis(250)));
        assertThat(m.scaling()).isEqualTo(new Scaling(10, 1, 4, Duration.ofMinutes(2), false, 0, true));
    }

    @Test
    void parse_partialSections_keepOtherDefaults() {
        Manifest m = ManifestParser.parse("""
                name: hello
                runtime: go
                limits: {timeout: 5}
                scaling: {singleUse: true}
                """);

        assertThat(m.limits()).isEqualTo(new Limits(Limits.DEFAULT_MEMORY, 1.0, Duration.ofSeconds(5)));
        assertThat(m.scaling()).isEqualTo(new Scaling(100, 0, 8, Duration.ofMinutes(5), true, 0, true));
    }

    @Test
    void parse_standby_andItsWireFormRoundTrips() {
        Manifest m = ManifestParser.parse("name: hello\nruntime: go\nbackend: runc\nscaling: {standby: 3}\n");

        assertThat(m.scaling().standby()).isEqualTo(3);
        assertThat(ManifestParser.toWire(m)).extractingByKey("scaling").asString().contains("standby=3");
        assertThat(ManifestParser.toWire(ManifestParser.parse("name: hello\nruntime: go\n")))
                .extractingByKey("scaling").asString().doesNotContain("standby");
    }

    @Test
    void parse_clones_onByDefault_offWhenSaid_andTheWireFormRoundTrips() {
        Manifest off = ManifestParser.parse("name: hello\nruntime: go\nscaling: {clones: false}\n");
        Manifest plain = ManifestParser.parse("name: hello\nruntime: go\n");

        assertThat(off.scaling().clones()).isFalse();
        assertThat(plain.scaling().clones()).isTrue();
        assertThat(ManifestParser.toWire(off)).extractingByKey("scaling").asString().contains("clones=false");
        assertThat(ManifestParser.toWire(plain)).extractingByKey("scaling").asString().doesNotContain("clones");
        assertThatThrownBy(() -> ManifestParser.parse("name: hello\nruntime: go\nscaling: {clones: maybe}\n"))
                .isInstanceOf(InvalidFunctionException.class);
    }

    @Test
    void parse_async_defaultsFollowTheLimitsAndScaling_andTheWireFormRoundTrips() {
        Manifest plain = ManifestParser.parse("name: a\nruntime: go\nlimits: {timeout: 10s}\n"
                + "scaling: {maxInstances: 3, concurrency: 2}\n");
        assertThat(plain.async()).isEqualTo(new AsyncPolicy(3, Duration.ofSeconds(10), 3));
        assertThat(ManifestParser.toWire(plain)).doesNotContainKey("async");

        Manifest set = ManifestParser.parse("name: a\nruntime: go\nasync: {maxAttempts: 5, timeout: 5s, "
                + "concurrency: 2}\n");
        assertThat(set.async()).isEqualTo(new AsyncPolicy(5, Duration.ofSeconds(5), 2));
        assertThat(ManifestParser.toWire(set)).extractingByKey("async").asString()
                .contains("maxAttempts=5", "timeout=5s", "concurrency=2");
    }

    @ParameterizedTest
    @CsvSource({
            "536870912, 536870912",
            "512Mi,     536870912",
            "1Gi,       1073741824",
            "16384Ki,   16777216",
            "100M,      100000000",
            "2G,        2000000000",
            "20000k,    20000000",
    })
    void parse_memoryQuantity_convertsToBytes(String quantity, long bytes) {
        Manifest m = ManifestParser.parse("name: a\nruntime: go\nlimits: {memory: " + quantity + "}\n");

        assertThat(m.limits().memoryBytes()).isEqualTo(bytes);
    }

    @ParameterizedTest
    @CsvSource({
            "250ms, PT0.25S",
            "30s,   PT30S",
            "5m,    PT5M",
            "1h,    PT1H",
            "45,    PT45S",
    })
    void parse_duration_convertsUnits(String text, Duration expected) {
        Manifest m = ManifestParser.parse("name: a\nruntime: go\nscaling: {idleTimeout: " + text + "}\n");

        assertThat(m.scaling().idleTimeout()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
            "go,     ,                 .",
            "go,     cmd/server,       cmd/server",
            "go,     ./cmd//server/,   cmd/server",
            "node,   ,                 index.js",
            "node,   lib/main.js,      lib/main.js",
            "binary, ./bin/fn,         bin/fn",
    })
    void parse_entry_defaultsAndNormalises(String runtime, String entry, String expected) {
        String yaml = "name: a\nruntime: " + runtime + "\n" + (entry == null ? "" : "entry: " + entry + "\n");

        assertThat(ManifestParser.parse(yaml).entry()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            go   | Handle         |                | Handle         | .
            go   | Serve_HTTP2    | cmd/fn         | Serve_HTTP2    | cmd/fn
            node | handler.mjs    |                | handler.mjs    | handler.mjs
            node | ./lib//h.js    |                | lib/h.js       | lib/h.js
            node | h.cjs          | ./h.cjs        | h.cjs          | h.cjs
            python | main:app     |                | main:app       | .
            python | site.wsgi:application.wsgi | . | site.wsgi:application.wsgi | .
            """)
    void parse_handler_validatedAndTheNodeModuleIsTheEntry(String runtime, String handler, String entry,
                                                         String expectedHandler, String expectedEntry) {
        String yaml = "name: a\nruntime: " + runtime + "\nhandler: " + handler + "\n"
                + (entry == null ? "" : "entry: " + entry + "\n");

        Manifest m = ManifestParser.parse(yaml);

        assertThat(m.handler()).contains(expectedHandler);
        assertThat(m.entry()).isEqualTo(expectedEntry);
    }

    @Test
    void parse_withoutHandler_isServerMode() {
        assertThat(ManifestParser.parse("name: a\nruntime: node\n").handler()).isEmpty();
        assertThat(ManifestParser.toWire(ManifestParser.parse("name: a\nruntime: go\n"))).doesNotContainKey("handler");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            typo at root            | name: a\\nruntime: go\\nlimts: {}                  | unknown field 'limts' in function.yaml
            typo in limits          | name: a\\nruntime: go\\nlimits: {memry: 1Gi}       | unknown field 'memry' in limits
            missing name            | runtime: go                                       | name is required
            bad name                | name: Hello\\nruntime: go                          | name: Invalid function name 'Hello'
            missing runtime         | name: a                                           | runtime is required (go, node, python or binary)
            unknown runtime         | name: a\\nruntime: ruby                            | runtime: 'ruby' is not supported (go, node, python or binary)
            binary without entry    | name: a\\nruntime: binary                          | entry is required for runtime binary
            absolute entry          | name: a\\nruntime: node\\nentry: /etc/passwd        | entry: must be a relative path
            dotdot entry            | name: a\\nruntime: node\\nentry: lib/../../x.js     | entry: must not contain '..'
            dot entry for node      | name: a\\nruntime: node\\nentry: .                  | entry: must name a file
            go handler unexported   | name: a\\nruntime: go\\nhandler: handle          | handler: must be an exported Go function name
            go handler qualified    | name: a\\nruntime: go\\nhandler: pkg.Handle      | handler: must be an exported Go function name
            go handler too long     | name: a\\nruntime: go\\nhandler: H%s             | handler: must be an exported Go function name
            go handler not a string | name: a\\nruntime: go\\nhandler: [Handle]        | handler: expected a string
            node handler not module | name: a\\nruntime: node\\nhandler: handler.ts    | handler: must be a module file ending in .mjs, .js or .cjs
            node handler directory  | name: a\\nruntime: node\\nhandler: ./           | handler: must be a module file
            node handler dotdot     | name: a\\nruntime: node\\nhandler: ../h.mjs      | handler: must not contain '..'
            node handler absolute   | name: a\\nruntime: node\\nhandler: /h.mjs        | handler: must be a relative path
            node handler and entry  | name: a\\nruntime: node\\nhandler: h.mjs\\nentry: index.js | entry: with a node handler the handler module is the entry
            binary handler          | name: a\\nruntime: binary\\nentry: fn\\nhandler: H | handler: only runtimes go, node and python
            python without handler  | name: a\\nruntime: python                     | handler is required for runtime python
            python handler no attr  | name: a\\nruntime: python\\nhandler: main     | handler: must be a WSGI application as module:attribute
            python handler a path   | name: a\\nruntime: python\\nhandler: app/main.py:app | handler: must be a WSGI application
            python handler call     | name: a\\nruntime: python\\nhandler: "main:create()" | handler: must be a WSGI application
            python handler and entry | name: a\\nruntime: python\\nhandler: main:app\\nentry: main.py | entry: a python function is found through its handler
            env bad key             | name: a\\nruntime: go\\nenv: {1X: y}                | env.1X: name must match
            env reserved ISOLA_     | name: a\\nruntime: go\\nenv: {ISOLA_READY_URL: y}   | env.ISOLA_READY_URL: PORT and ISOLA_*
            env reserved PORT       | name: a\\nruntime: go\\nenv: {PORT: '9'}            | env.PORT: PORT and ISOLA_*
            env null value          | name: a\\nruntime: go\\nenv: {A: }                  | env.A: value is missing
            env list value          | name: a\\nruntime: go\\nenv: {A: [1]}               | env.A: expected a string
            env not a map           | name: a\\nruntime: go\\nenv: [A]                    | env: expected a mapping
            bad backend             | name: a\\nruntime: go\\nbackend: Run_C              | backend: 'Run_C' is not a backend type
            bad memory unit         | name: a\\nruntime: go\\nlimits: {memory: 12Q}       | limits.memory: '12Q' is not a memory quantity
            fractional memory       | name: a\\nruntime: go\\nlimits: {memory: 0.5Gi}     | limits.memory: '0.5Gi' is not a memory quantity
            memory overflow         | name: a\\nruntime: go\\nlimits: {memory: 9999999999999Gi} | limits.memory: '9999999999999Gi' is too large
            memory out of bounds    | name: a\\nruntime: go\\nlimits: {memory: 1Mi}       | limits.memory must be between 16Mi and 64Gi
            cpus not a number       | name: a\\nruntime: go\\nlimits: {cpus: lots}        | limits.cpus: expected a number
            bad timeout             | name: a\\nruntime: go\\nlimits: {timeout: 1m30s}    | limits.timeout: '1m30s' is not a duration
            timeout too long        | name: a\\nruntime: go\\nlimits: {timeout: 2h}       | limits.timeout must be between 1ms and 1h
            fractional concurrency  | name: a\\nruntime: go\\nscaling: {concurrency: 1.5} | scaling.concurrency: expected a whole number
            huge concurrency        | name: a\\nruntime: go\\nscaling: {concurrency: 99999999999} | out of range
            singleUse not boolean   | name: a\\nruntime: go\\nscaling: {singleUse: [x]}   | scaling.singleUse: expected true or false
            max above the bridges'  | name: a\\nruntime: go\\nscaling: {maxInstances: 65537} | scaling.maxInstances must be between 1 and 65536
            min above max           | name: a\\nruntime: go\\nscaling: {minInstances: 9}  | scaling.minInstances must be between 0 and maxInstances
            idle timeout for ever   | name: a\\nruntime: go\\nscaling: {idleTimeout: 999999999999h} | scaling.idleTimeout must be positive and at most 8760h
            standby above max       | name: a\\nruntime: go\\nscaling: {standby: 9}       | scaling.standby must be between 0 and maxInstances
            negative standby        | name: a\\nruntime: go\\nscaling: {standby: -1}      | scaling.standby must be between 0 and maxInstances
            async attempts zero     | name: a\\nruntime: go\\nasync: {maxAttempts: 0}     | async.maxAttempts must be between 1 and 20
            async timeout over limit| name: a\\nruntime: go\\nasync: {timeout: 1m}        | async.timeout must not exceed limits.timeout (30s)
            async over its share    | name: a\\nruntime: go\\nscaling: {maxInstances: 2, concurrency: 1}\\nasync: {concurrency: 2} | async.concurrency must be at most 1
            async typo              | name: a\\nruntime: go\\nasync: {retries: 2}         | unknown field 'retries' in async
            duplicate key           | name: a\\nname: b\\nruntime: go                     | Duplicate field 'name'
            two documents           | name: a\\nruntime: go\\n---\\nname: b               | function.yaml must hold exactly one YAML document
            not a mapping           | - name: a                                         | function.yaml must be a YAML mapping
            empty                   | ''                                                | function.yaml is empty
            only comments           | '# nothing here\\n'                               | function.yaml is empty
            null document           | '~'                                               | function.yaml is empty
            unclosed quote          | 'name: "a\\nruntime: go'                           | function.yaml is not valid YAML
            tab indentation         | 'limits:\\n\tcpus: 1'                              | function.yaml is not valid YAML
            """)
    void parse_invalidManifest_failsWithFieldPath(String label, String yaml, String message) {
        String text = yaml.replace("\\n", "\n").replace("%s", "x".repeat(128));

        assertThatThrownBy(() -> ManifestParser.parse(text))
                .isInstanceOfSatisfying(InvalidFunctionException.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_manifest"))
                .hasMessageContaining(message);
    }

    @Test
    void parse_tooLarge_isRejected() {
        String yaml = "name: a\nruntime: go\n" + "#".repeat(ManifestParser.MAX_BYTES) + "\n";

        assertThatThrownBy(() -> ManifestParser.parse(yaml)).hasMessageContaining("larger than 64 KiB");
    }

    @Test
    void parse_file_readsManifest(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("function.yaml");
        Files.writeString(file, "name: from-file\nruntime: node\n");

        assertThat(ManifestParser.parse(file).name()).isEqualTo(FunctionName.of("from-file"));
    }

    @Test
    void parse_fileNotUtf8_isRejected(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("function.yaml");
        Files.write(file, new byte[] {'n', 'a', 'm', 'e', ':', ' ', (byte) 0xff, (byte) 0xfe, '\n'});

        assertThatThrownBy(() -> ManifestParser.parse(file)).hasMessageContaining("not valid UTF-8");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            name: a\\nruntime: go
            name: b\\nruntime: node\\nentry: lib/x.js\\nenv: {K: v}\\nbackend: runc
            name: c\\nruntime: binary\\nentry: fn\\nlimits: {memory: 100M, cpus: 0.25, timeout: 1500ms}
            name: d\\nruntime: go\\nlimits: {memory: 1Gi, cpus: 2, timeout: 1h}\\nscaling: {idleTimeout: 90s, singleUse: true}
            name: f\\nruntime: go\\nentry: cmd/fn\\nhandler: Handle
            name: g\\nruntime: node\\nhandler: lib/handler.mjs
            name: p\\nruntime: python\\nhandler: web.wsgi:app
            name: e\\nruntime: go\\nlimits: {memory: 16777217}\\nscaling: {concurrency: 1, maxInstances: 1, idleTimeout: 3h}
            name: f\\nruntime: go\\nasync: {maxAttempts: 1, timeout: 250ms, concurrency: 4}
            """)
    void toWire_roundTrip_givesEqualManifest(String yaml) throws Exception {
        Manifest original = ManifestParser.parse(yaml.replace("\\n", "\n"));

        String written = new YAMLMapper().writeValueAsString(ManifestParser.toWire(original));

        assertThat(ManifestParser.parse(written)).isEqualTo(original);
    }

    @Test
    void toWire_formatsUnitsAsTheManifestWould() {
        Manifest m = new Manifest(FunctionName.of("w"), Runtime.GO, ".", Map.of("B", "2", "A", "1"), Optional.empty(), Optional.empty(), false,
                new Limits(512L << 20, 1.0, Duration.ofSeconds(30)),
                new Scaling(100, 0, 8, Duration.ofMillis(250), false, 0, true));

        Map<String, Object> wire = ManifestParser.toWire(m);

        assertThat(wire).containsKeys("name", "runtime", "entry", "env", "limits", "scaling").doesNotContainKey("backend");
        assertThat(wire.get("runtime")).isEqualTo("go");
        assertThat(wire.get("limits")).isEqualTo(Map.of("memory", "512Mi", "cpus", 1L, "timeout", "30s"));
        assertThat(((Map<?, ?>) wire.get("scaling")).get("idleTimeout")).isEqualTo("250ms");
        assertThat(List.copyOf(((Map<?, ?>) wire.get("env")).keySet())).isEqualTo(List.of("A", "B"));
    }
}
