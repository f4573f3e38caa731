package dev.isola.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isola.host.FileTrees;
import dev.isola.host.ProcessRunner;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's {@code chromium-headless-shell}, driven over the Chrome DevTools Protocol (a WebSocket, JSON messages):
 * enough to open a page, collect what the browser reports as errors, evaluate an expression and take a screenshot.
 * One page per browser; {@link #close()} kills the browser and everything it forked and removes its profile.
 */
final class HeadlessBrowser implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/chromium-headless-shell");
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://127\\.0\\.0\\.1:(\\d+)/\\S+)");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<JsonNode>> awaited = new ConcurrentHashMap<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();

    private HeadlessBrowser(Process process, Path profile, WebSocket.Builder sockets, URI page) {
        this.process = process;
        this.profile = profile;
        this.socket = sockets.buildAsync(page, new Listener()).orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                .join();
    }

    static boolean installed() {
        return Files.isExecutable(BINARY);
    }

    /** Starts the browser (as root it needs {@code --no-sandbox}) and attaches to its blank page. */
    static HeadlessBrowser start(int width, int height) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("isola-browser-");
        Process process = new ProcessBuilder(BINARY.toString(), "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                "--user-data-dir=" + profile, "--window-size=" + width + "," + height, "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            int port = debuggingPort(process);
            HttpClient http = HttpClient.newHttpClient();
            URI page = null;
            for (long end = System.nanoTime() + TIMEOUT.toNanos(); page == null && System.nanoTime() < end; ) {
                String list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                        .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()).body();
                for (JsonNode target : JSON.readTree(list)) {
                    if (target.path("type").asText().equals("page")) {
                        page = URI.create(target.get("webSocketDebuggerUrl").asText());
                    }
                }
            }
            if (page == null) {
                throw new IOException("the browser opened no page");
            }
            return new HeadlessBrowser(process, profile, http.newWebSocketBuilder(), page);
        } catch (IOException | InterruptedException | RuntimeException e) {
            kill(process, profile);
            throw e;
        }
    }

    /** Reads the browser's stderr up to its "DevTools listening on" line; the rest is drained in the background. */
    private static int debuggingPort(Process process) throws IOException {
        BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
        for (String line = err.readLine(); line != null; line = err.readLine()) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                Thread.ofPlatform().daemon().start(() -> err.lines().forEach(l -> { }));
                return Integer.parseInt(m.group(2));
            }
        }
        throw new IOException("the browser exited before it listened (status " + process.exitValue() + ")");
    }

    /** Enables the events that carry errors, opens {@code url} and waits for its load event. */
    void open(URI url) {
        call("Runtime.enable", Map.of());
        call("Log.enable", Map.of());
        call("Page.enable", Map.of());
        CompletableFuture<JsonNode> loaded = new CompletableFuture<>();
        awaited.put("Page.loadEventFired", loaded);
        JsonNode navigated = call("Page.navigate", Map.of("url", url.toString()));
        if (navigated.hasNonNull("errorText")) {
            throw new IllegalStateException("failed to open " + url + ": " + navigated.get("errorText").asText());
        }
        loaded.orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
    }

    /** Uncaught exceptions, {@code console.error} calls and the browser's own error entries (failed loads), so far. */
    List<String> errors() {
        return List.copyOf(errors);
    }

    /** The value of a JavaScript expression in the page, as JSON. */
    JsonNode evaluate(String expression) {
        JsonNode result = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException("the expression threw: " + result.get("exceptionDetails"));
        }
        return result.path("result").path("value");
    }

    /** A PNG of the window (what a reader sees first) or of the whole page. */
    void screenshot(Path file, boolean wholePage) throws IOException {
        JsonNode shot = call("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", wholePage));
        Files.write(file, Base64.getDecoder().decode(shot.get("data").asText()));
    }

    private JsonNode call(String method, Map<String, Object> params) {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", JSON.valueToTree(params));
        socket.sendText(message.toString(), true).join();
        JsonNode answer = reply.orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        if (answer.has("error")) {
            throw new IllegalStateException(method + " failed: " + answer.get("error"));
        }
        return answer.path("result");
    }

    private void onMessage(JsonNode message) {
        if (message.has("id")) {
            Optional.ofNullable(pending.remove(message.get("id").asInt())).ifPresent(f -> f.complete(message));
            return;
        }
        String method = message.path("method").asText();
        JsonNode params = message.path("params");
        switch (method) {
            case "Runtime.exceptionThrown" -> errors.add("uncaught: " + params.path("exceptionDetails"));
            case "Runtime.consoleAPICalled" -> {
                if (params.path("type").asText().equals("error")) {
                    errors.add("console.error: " + params.path("args"));
                }
            }
            case "Log.entryAdded" -> {
                if (params.path("entry").path("level").asText().equals("error")) {
                    errors.add(params.path("entry").path("source").asText() + ": "
                            + params.path("entry").path("text").asText() + " "
                            + params.path("entry").path("url").asText());
                }
            }
            default -> Optional.ofNullable(awaited.remove(method)).ifPresent(f -> f.complete(params));
        }
    }

    @Override
    public void close() {
        socket.abort();
        kill(process, profile);
    }

    /** Kills the browser and its helpers, and waits until they are gone. */
    private static void kill(Process process, Path profile) {
        List<ProcessHandle> helpers = process.descendants().toList(); // to wait for: killed by killTree too
        ProcessRunner.killTree(process);
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            for (ProcessHandle helper : helpers) {
                helper.onExit().get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            // a helper that would not die is reported by the test's own checks; the profile goes anyway
        }
        FileTrees.deleteQuietly(profile);
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    onMessage(JSON.readTree(partial.toString()));
                } catch (IOException e) {
                    errors.add("unreadable DevTools message: " + e.getMessage());
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }
    }
}
