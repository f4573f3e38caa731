package dev.isola.cli;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on 127.0.0.1:0 that answers canned responses per "METHOD /path" and records every request,
 * so the CLI is tested over a real socket with the real JDK client. Unknown routes answer like Isola does.
 */
final class FakeIsolaServer implements AutoCloseable {
    record Recorded(String method, URI uri, Headers headers, byte[] body) {
        String header(String name) {
            return headers.getFirst(name);
        }
    }

    private record Canned(int status, String contentType, byte[] body, Map<String, String> headers) {
    }

    private final HttpServer server;
    private final Map<String, Canned> routes = new ConcurrentHashMap<>();
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();

    private FakeIsolaServer(HttpServer server) {
        this.server = server;
    }

    static FakeIsolaServer start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            FakeIsolaServer fake = new FakeIsolaServer(server);
            server.createContext("/", fake::handle);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.start();
            return fake;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FakeIsolaServer on(String method, String path, int status, String json) {
        return on(method, path, status, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    FakeIsolaServer on(String method, String path, int status, String contentType, byte[] body,
                       Map<String, String> headers) {
        routes.put(method + " " + path, new Canned(status, contentType, body, headers));
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Recorded> requests() {
        return List.copyOf(requests);
    }

    Recorded lastRequest() {
        return requests.getLast();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            requests.add(new Recorded(exchange.getRequestMethod(), exchange.getRequestURI(),
                    exchange.getRequestHeaders(), body));
            Canned canned = routes.getOrDefault(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath(),
                    new Canned(404, "application/json",
                            "{\"error\":\"not_found\",\"message\":\"No such route\"}".getBytes(StandardCharsets.UTF_8),
                            Map.of()));
            exchange.getResponseHeaders().set("Content-Type", canned.contentType());
            canned.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            boolean empty = canned.body().length == 0;
            exchange.sendResponseHeaders(canned.status(), empty ? -1 : canned.body().length);
            if (!empty) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(canned.body());
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
