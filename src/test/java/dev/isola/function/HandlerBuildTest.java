package dev.isola.function;

import dev.isola.config.TrustPolicy;
import dev.isola.host.FileTrees;
import dev.isola.testing.TestIsola;
import dev.isola.testing.Await;
import dev.isola.testing.Leaks;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Handler mode at build: Isola's generated Go main and its Node.js and Python wrappers, and every deployer mistake reported as
 * {@code build_failed} at deploy, in the deployer's terms. Builds run as they do in the server (jailed as root).
 */
@NoLeaks(Leaks.Scope.PROCESSES)
class HandlerBuildTest {
    private static final String GO_HANDLER = """
            package hello

            import (
            	"io"
            	"net/http"
            )

            func Handle(w http.ResponseWriter, r *http.Request) {
            	body, _ := io.ReadAll(r.Body)
            	w.Header().Set("X-Seen", r.Header.Get("X-Test"))
            	_, _ = io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+string(body))
            }
            """;
    private static final String NODE_HANDLER = """
            export default async (request) => {
              const url = new URL(request.url);
              const body = request.body ? await request.text() : '';
              return new Response(`${request.method} ${url.pathname}${url.search} ${body}`,
                { headers: { 'x-seen': request.headers.get('x-test') ?? '' } });
            };
            """;

    private static final String PYTHON_HANDLER = """
            def app(environ, start_response):
                length = int(environ.get('CONTENT_LENGTH') or 0)
                body = environ['wsgi.input'].read(length).decode()
                query = '?' + environ['QUERY_STRING'] if environ['QUERY_STRING'] else ''
                text = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}{query} {body}".encode()
                start_response('200 OK', [('X-Seen', environ.get('HTTP_X_TEST', '')),
                                          ('Content-Length', str(len(text)))])
                return [text]
            """;

    @TempDir
    Path tmp;

    private Path src() throws IOException {
        return Files.createDirectories(tmp.resolve("src"));
    }

    private Path out() {
        return tmp.resolve("out");
    }

    private FunctionBuilder goBuilder() {
        Assumptions.assumeTrue(GoToolchain.installed(), "go not installed");
        return FunctionBuilder.create(TestHost.runner(), GoToolchain.sharedCache(), tmp, TrustPolicy.runningAsRoot());
    }

    private FunctionBuilder nodeBuilder() {
        Assumptions.assumeTrue(TestHost.runner().executables().find("node").isPresent(), "node not installed");
        return FunctionBuilder.create(TestHost.runner(), tmp.resolve("cache"), tmp, TrustPolicy.runningAsRoot());
    }

    private FunctionBuilder pythonBuilder() {
        Assumptions.assumeTrue(HostPython.find(TestHost.runner()).isPresent(), "python3-waitress not installed");
        return FunctionBuilder.create(TestHost.runner(), tmp.resolve("cache"), tmp, TrustPolicy.runningAsRoot());
    }

    private static Manifest python(String handler) {
        return ManifestParser.parse("name: fn\nruntime: python\nhandler: " + handler + "\n");
    }

    private static Manifest go(String handler, String entry) {
        return ManifestParser.parse("name: fn\nruntime: go\nentry: " + entry + "\nhandler: " + handler + "\n");
    }

    private static Manifest node(String handler) {
        return ManifestParser.parse("name: fn\nruntime: node\nhandler: " + handler + "\n");
    }

    @Test
    void goHandler_buildsOneBinaryWithTheContract_andLeavesTheSourcesAlone() throws Exception {
        FunctionBuilder builder = goBuilder();
        Files.writeString(src().resolve("go.mod"), "module example.com/hello\n\ngo 1.19\n");
        Files.writeString(src().resolve("handler.go"), GO_HANDLER);

        Artifact artifact = builder.build(go("Handle", "."), src(), out());

        assertThat(artifact.argv()).containsExactly("./fn");
        try (var files = Files.list(out())) {
            assertThat(files).containsExactly(out().toAbsolutePath().resolve("fn"));
        }
        try (var files = Files.list(src())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("go.mod", "handler.go");
        }
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("handler-build-"));
        }
        assertThat(call(artifact)).isEqualTo("POST /a/b?c=d payload | seen=yes");
    }

    @Test
    void goHandler_inASubpackageOfAModuleWithoutGoMod_builds() throws Exception {
        FunctionBuilder builder = goBuilder();
        Path pkg = Files.createDirectories(src().resolve("internal/api"));
        Files.writeString(pkg.resolve("handler.go"), GO_HANDLER.replace("package hello", "package api"));

        Artifact artifact = builder.build(go("Handle", "internal/api"), src(), out());

        assertThat(call(artifact)).isEqualTo("POST /a/b?c=d payload | seen=yes");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            package main     | package main\\n\\nimport \\"net/http\\"\\n\\nfunc Handle(w http.ResponseWriter, r *http.Request) {}\\nfunc main() {} | handler.go declares package main, but in handler mode the package at entry '.' must be an importable package exporting func Handle(http.ResponseWriter, *http.Request)
            misspelled       | package hello\\n\\nimport \\"net/http\\"\\n\\nfunc Handel(w http.ResponseWriter, r *http.Request) {}             | handler Handle not found in package ./ (expected func Handle(http.ResponseWriter, *http.Request))
            wrong signature  | package hello\\n\\nimport \\"net/http\\"\\n\\nfunc Handle(w http.ResponseWriter) {}                            | handler Handle in package ./ has the wrong signature (expected func Handle(http.ResponseWriter, *http.Request)); go says: cannot use
            not a func       | package hello\\n\\nvar Handle = 42                                                                            | handler Handle in package ./ has the wrong signature
            compile error    | package hello\\n\\nfunc Handle() { undefinedThing() }                                                          | undefined: undefinedThing
            """)
    void goHandler_mistake_failsTheBuildClearly(String label, String source, String message) throws Exception {
        FunctionBuilder builder = goBuilder();
        Files.writeString(src().resolve("handler.go"), source.replace("\\n", "\n").replace("\\\"", "\""));

        assertThatThrownBy(() -> builder.build(go("Handle", "."), src(), out()))
                .isInstanceOfSatisfying(BuildFailedException.class, e -> assertThat(e.code()).isEqualTo("build_failed"))
                .hasMessageContaining(message);
        assertThat(out()).doesNotExist();
    }

    @Test
    void goHandler_compileErrorInTheDeployersCode_isGoesOwnWords() throws Exception {
        FunctionBuilder builder = goBuilder();
        Files.writeString(src().resolve("handler.go"), "package hello\n\nfunc Handle() { undefinedThing() }\n");

        assertThatThrownBy(() -> builder.build(go("Handle", "."), src(), out()))
                .hasMessageContaining("undefined: undefinedThing").hasMessageNotContaining("isola_handler_main");
    }

    @Test
    void goHandler_ignoredGeneratorInPackageMain_doesNotCount() throws Exception {
        FunctionBuilder builder = goBuilder();
        Files.writeString(src().resolve("handler.go"), GO_HANDLER);
        Files.writeString(src().resolve("gen.go"), "//go:build ignore\n\npackage main\n\nfunc main() {}\n");

        assertThat(call(builder.build(go("Handle", "."), src(), out()))).startsWith("POST /a/b?c=d");
    }

    @Test
    void nodeHandler_wrapperIsTheEntry_inTheArtefactOnly() throws Exception {
        FunctionBuilder builder = nodeBuilder();
        Files.writeString(src().resolve("handler.mjs"), NODE_HANDLER);

        Artifact artifact = builder.build(node("handler.mjs"), src(), out());

        assertThat(artifact.argv()).containsExactly("node", NodeHandlerWrapper.PATH, "handler.mjs");
        assertThat(out().resolve(NodeHandlerWrapper.PATH)).isRegularFile();
        assertThat(src().resolve(".isola")).doesNotExist();
        assertThat(call(artifact)).isEqualTo("POST /a/b?c=d payload | seen=yes");
    }

    @Test
    void nodeHandler_commonJsModuleExports_builds() throws Exception {
        FunctionBuilder builder = nodeBuilder();
        Files.createDirectories(src().resolve("lib"));
        Files.writeString(src().resolve("lib/handler.cjs"),
                "module.exports = async (request) => new Response(request.method + ' cjs');\n");

        assertThat(call(builder.build(node("lib/handler.cjs"), src(), out()))).startsWith("POST cjs");
    }

    /** The wrapper requires a .js handler, and imports it when its package.json makes it an ES module. */
    @Test
    void nodeHandler_jsInAModulePackage_isImportedAsAnEsModule() throws Exception {
        FunctionBuilder builder = nodeBuilder();
        Files.writeString(src().resolve("package.json"), "{\"type\": \"module\"}\n");
        Files.writeString(src().resolve("handler.js"),
                "export default async (request) => new Response(request.method + ' esm in .js');\n");

        assertThat(call(builder.build(node("handler.js"), src(), out()))).startsWith("POST esm in .js");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            missing file       | other.mjs   | export default async () => new Response('x');   | handler 'handler.mjs' is not a file in the archive
            no default export  | handler.mjs | export const handle = async () => new Response(''); | handler.mjs has no default export; expected a function: export default async (request) => Response
            exports an object  | handler.cjs | module.exports = { handle() {} };               | handler.cjs has a default export that is object; expected a function
            syntax error       | handler.mjs | export default async (request) => {             | did not load at deploy (exit 1):
            top level throws   | handler.mjs | throw new Error('no config');                   | Error: no config
            """)
    void nodeHandler_mistake_failsAtDeploy(String label, String file, String source, String message) throws Exception {
        FunctionBuilder builder = nodeBuilder();
        Files.writeString(src().resolve(file), source);
        String handler = file.equals("other.mjs") ? "handler.mjs" : file;

        assertThatThrownBy(() -> builder.build(node(handler), src(), out()))
                .isInstanceOfSatisfying(BuildFailedException.class, e -> assertThat(e.code()).isEqualTo("build_failed"))
                .hasMessageContaining(message);
        assertThat(out()).doesNotExist();
    }

    @Test
    void pythonHandler_wrapperServesTheApplication_fromTheArtefactOnly() throws Exception {
        FunctionBuilder builder = pythonBuilder();
        Files.createDirectories(src().resolve("web"));
        Files.writeString(src().resolve("web/__init__.py"), "");
        Files.writeString(src().resolve("web/wsgi.py"), PYTHON_HANDLER);

        Artifact artifact = builder.build(python("web.wsgi:app"), src(), out());

        assertThat(artifact.runtime()).isEqualTo(Runtime.PYTHON);
        assertThat(artifact.argv()).contains(PythonHandlerWrapper.PATH, "web.wsgi:app");
        assertThat(Path.of(artifact.argv().getFirst())).isAbsolute();
        assertThat(out().resolve(PythonHandlerWrapper.PATH)).isRegularFile();
        assertThat(src().resolve(".isola")).doesNotExist();
        assertThat(call(artifact)).isEqualTo("POST /a/b?c=d payload | seen=yes");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            module missing      | main:app  | other.py | app = None                      | neither main.py nor main/__init__.py is in the archive
            attribute missing   | main:app  | main.py  | application = lambda e, s: []   | module 'main' has no attribute 'app'
            not callable        | main:app  | main.py  | app = 42                        | 'main:app' is int, not callable
            syntax error        | main:app  | main.py  | def app(:                       | SyntaxError
            import fails        | main:app  | main.py  | import flask                    | No module named 'flask'
            top level raises    | main:app  | main.py  | raise RuntimeError('no config') | RuntimeError: no config
            """)
    void pythonHandler_mistake_failsAtDeploy(String label, String handler, String file, String source, String message)
            throws Exception {
        FunctionBuilder builder = pythonBuilder();
        Files.writeString(src().resolve(file), source + "\n");

        assertThatThrownBy(() -> builder.build(python(handler), src(), out()))
                .isInstanceOfSatisfying(BuildFailedException.class, e -> assertThat(e.code()).isEqualTo("build_failed"))
                .hasMessageContaining(message);
        assertThat(out()).doesNotExist();
    }

    @Test
    void pythonHandler_importsOnlyFromItsDirectoryTheStandardLibraryAndWaitress() throws Exception {
        FunctionBuilder builder = pythonBuilder();
        Files.writeString(src().resolve("main.py"), """
                import sys
                def app(environ, start_response):
                    text = '\\n'.join([str(sys.flags.isolated), str(sys.flags.no_site)] + sys.path).encode()
                    start_response('200 OK', [('Content-Length', str(len(text)))])
                    return [text]
                """);
        HostPython python = HostPython.find(TestHost.runner()).orElseThrow();

        Artifact artifact = builder.build(python("main:app"), src(), out());

        List<String> lines = List.of(call(artifact).split(" \\| ")[0].split("\n"));
        assertThat(lines.subList(0, 2)).as("isolated, no site").containsExactly("1", "1");
        assertThat(lines.get(2)).isEqualTo(out().toRealPath().toString());
        assertThat(lines.getLast()).isEqualTo(python.packages().toString());
        assertThat(lines.subList(3, lines.size() - 1)).allSatisfy(p -> assertThat(p).satisfiesAnyOf(
                q -> assertThat(q).startsWith(python.stdlib().toString()),
                q -> assertThat(q).endsWith(".zip"))); // the stdlib's zip, which Debian does not ship
    }

    private Artifact buildTestHandler(String runtime) throws Exception {
        FunctionBuilder builder = switch (runtime) {
            case "go" -> goBuilder();
            case "node" -> nodeBuilder();
            default -> pythonBuilder();
        };
        FileTrees.copy(TestIsola.FUNCTIONS.resolve(runtime + "-handler"), src(), relative -> false);
        return builder.build(ManifestParser.parse(src().resolve("function.yaml")), src(), out());
    }

    /**
     * Every wrapper takes request headers of up to 1 MiB, so that none refuses what the gateway forwards (its own
     * limit, 16 KiB, plus the headers it adds). Node.js's default, 16 KiB in all, closed the connection.
     */
    @ParameterizedTest
    @ValueSource(strings = {"go", "node", "python"})
    void headersOf64KiB_reachTheHandler(String runtime) throws Exception {
        Artifact artifact = buildTestHandler(runtime);
        String big = "x".repeat(64 * 1024);
        Launched fn = launch(artifact, tmp.resolve("output.log"));
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fn.port()
                    + "/echo")).header("X-Test", big).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(TestIsola.json(r).get("test").asText()).isEqualTo(big);
        } finally {
            fn.process().destroyForcibly(); // our own child, started above
            fn.process().waitFor();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"go", "node", "python"})
    void sigterm_finishesTheRequestUnderWay_thenExitsZero(String runtime) throws Exception {
        Artifact artifact = buildTestHandler(runtime);
        Path output = tmp.resolve("output.log");
        Launched fn = launch(artifact, output);
        try (HttpClient client = HttpClient.newHttpClient()) {
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + fn.port() + "/slow?ms=1500")).build(),
                    HttpResponse.BodyHandlers.ofString());
            Await.until(Duration.ofSeconds(10), () -> Files.readString(output).contains("slow request started"),
                    "the slow request to reach the handler");

            fn.process().destroy(); // SIGTERM, to our own child started above

            assertThat(slow.get(30, TimeUnit.SECONDS).body()).isEqualTo("slept");
            assertThat(fn.process().waitFor(10, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
            assertThat(fn.process().exitValue()).as(Files.readString(output)).isZero();
        } finally {
            fn.process().destroyForcibly();
            fn.process().waitFor();
        }
    }

    private record Launched(Process process, int port) {
    }

    /** Starts the artefact as a sandbox would: in its own directory, with {@code HOST} and {@code PORT}. */
    private static Launched launch(Artifact artifact, Path output) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> argv = new ArrayList<>(artifact.argv());
        if (argv.getFirst().startsWith("./")) {
            argv.set(0, artifact.root().resolve(argv.getFirst()).toString());
        }
        ProcessBuilder pb = new ProcessBuilder(argv).directory(artifact.root().toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put("HOST", "127.0.0.1");
        Process process = pb.start();
        Await.until(Duration.ofSeconds(10), () -> accepts(port), "the built function to listen on port " + port);
        return new Launched(process, port);
    }

    /**
     * Sends one POST with a header, query and body to the started artefact and returns the body and the header the
     * handler echoed; always stops it again.
     */
    private String call(Artifact artifact) throws Exception {
        Launched fn = launch(artifact, tmp.resolve("call-output.log"));
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + fn.port() + "/a/b?c=d")).header("X-Test", "yes")
                    .POST(HttpRequest.BodyPublishers.ofString("payload")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.body() + " | seen=" + response.headers().firstValue("X-Seen").orElse("");
        } finally {
            // Our own child, started above: destroying it cannot hit another process.
            fn.process().destroyForcibly();
            fn.process().waitFor();
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
