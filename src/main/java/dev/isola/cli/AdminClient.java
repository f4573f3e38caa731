package dev.isola.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The CLI's HTTP client for an Isola server. Every failure leaves as a {@link CliException} a person can act on:
 * an unreachable server, a timeout, or the server's own {@code {"error","message"}} body as an
 * {@link AdminClientException}. Requests use HTTP/1.1: the gateway speaks it, and the JDK's default h2c upgrade
 * attempt on {@code http://} would only add headers for nothing.
 */
final class AdminClient {
    static final ObjectMapper JSON = new ObjectMapper();
    /** A server on the same host or LAN accepts within milliseconds; 5 s also covers a busy edge board. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Listing, describing and log reads are metadata reads from memory or SQLite. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    /** Deploy runs a server-side Go/Node build and removal drains in-flight calls: both can take minutes. */
    static final Duration SLOW_TIMEOUT = Duration.ofMinutes(10);
    private static final int MAX_QUOTED_BODY = 300;

    private final HttpClient http;
    private final URI baseUrl;
    private final Optional<String> token;

    private AdminClient(HttpClient http, URI baseUrl, Optional<String> token) {
        this.http = http;
        this.baseUrl = baseUrl;
        this.token = token;
    }

    /** A client without credentials, enough for invocations. {@code baseUrl} has no trailing slash. */
    static AdminClient create(URI baseUrl) {
        return create(baseUrl, Optional.empty());
    }

    /** As {@link #create(URI)}, trusting only the certificates in {@code trustedPem} for https when given. */
    static AdminClient create(URI baseUrl, Optional<Path> trustedPem) {
        HttpClient.Builder http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER);
        trustedPem.ifPresent(pem -> http.sslContext(trusting(pem)));
        return new AdminClient(http.build(), baseUrl, Optional.empty());
    }

    /** A TLS context that trusts the certificates of one PEM file, as curl's --cacert does. */
    private static SSLContext trusting(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trusted.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new CliException("No certificate in " + pem);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new CliException("Cannot read the certificates to trust in " + pem + ": " + e.getMessage(), e);
        }
    }

    AdminClient withToken(String bearerToken) {
        return new AdminClient(http, baseUrl, Optional.of(bearerToken));
    }

    URI baseUrl() {
        return baseUrl;
    }

    /** {@code pathAndQuery} starts with '/' and is already percent-encoded. */
    URI uri(String pathAndQuery) {
        return URI.create(baseUrl + pathAndQuery);
    }

    String getText(String path) {
        HttpResponse<byte[]> response = admin(HttpRequest.newBuilder(uri(path)).GET(), READ_TIMEOUT);
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    JsonNode getJson(String path) {
        return parseJson(getText(path));
    }

    JsonNode putJson(String path, byte[] body, String contentType, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .header("Content-Type", contentType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        return parseJson(new String(admin(request, timeout).body(), StandardCharsets.UTF_8));
    }

    JsonNode postJson(String path, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        return parseJson(new String(admin(request, SLOW_TIMEOUT).body(), StandardCharsets.UTF_8));
    }

    void delete(String path) {
        admin(HttpRequest.newBuilder(uri(path)).DELETE(), SLOW_TIMEOUT);
    }

    /** Sends without credentials and without judging the status: invocation results belong to the function. */
    <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (HttpConnectTimeoutException e) {
            throw new CliException("Cannot reach Isola at " + baseUrl + ": no answer to connect within "
                    + CONNECT_TIMEOUT.toSeconds() + " s. Check --url or ISOLA_URL.", e);
        } catch (HttpTimeoutException e) {
            long seconds = request.timeout().map(Duration::toSeconds).orElse(0L);
            throw new CliException("Isola at " + baseUrl + " did not answer within " + seconds + " s.", e);
        } catch (ConnectException e) {
            throw unreachable(e);
        } catch (IOException e) {
            throw new CliException("Lost the connection to Isola at " + baseUrl + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("Interrupted while waiting for Isola at " + baseUrl, e);
        }
    }

    JsonNode parseJson(String body) {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new CliException("The server at " + baseUrl + " sent something that is not JSON; is it an Isola "
                    + "server? It said: " + quote(body));
        }
    }

    /**
     * The server's Error body if {@code body} is exactly one ({@code error} and {@code message}, nothing else). Used
     * on invocations, where a function's own error response must not be mistaken for the platform's.
     */
    static Optional<AdminClientException> isolaError(int status, byte[] body) {
        JsonNode node = readTreeQuietly(body);
        boolean exact = node.size() == 2 && node.path("error").isTextual() && node.path("message").isTextual();
        return exact ? errorBody(status, node) : Optional.empty();
    }

    /** Any JSON object with a textual {@code error}: admin routes only ever answer with Isola's own bodies. */
    private static Optional<AdminClientException> errorBody(int status, JsonNode node) {
        if (node.isObject() && node.path("error").isTextual()) {
            String code = node.get("error").asText();
            return Optional.of(new AdminClientException(status, code, node.path("message").asText(code)));
        }
        return Optional.empty();
    }

    private static JsonNode readTreeQuietly(byte[] body) {
        try {
            JsonNode node = JSON.readTree(body);
            return node == null ? JSON.missingNode() : node;
        } catch (IOException e) {
            return JSON.missingNode();   // not JSON, so not an Isola error body
        }
    }

    /**
     * GETs a stream of lines and hands each to {@code lines} as it arrives, until the server ends it (no read
     * deadline: a followed log may be quiet for hours).
     */
    void stream(String path, Consumer<String> lines) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        HttpResponse<Stream<String>> response = send(request.build(), HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> body = response.body()) {
            if (response.statusCode() >= 400) {
                byte[] text = String.join("\n", body.toList()).getBytes(StandardCharsets.UTF_8);
                throw errorBody(response.statusCode(), readTreeQuietly(text)).orElseGet(() -> new AdminClientException(
                        response.statusCode(), "unexpected_response", "The server at " + baseUrl + " answered "
                        + response.statusCode() + " without an Isola error body"));
            }
            body.forEach(lines);
        } catch (UncheckedIOException e) {
            throw new CliException("Lost the connection to Isola at " + baseUrl + ": " + e.getMessage(), e);
        }
    }

    private HttpResponse<byte[]> admin(HttpRequest.Builder request, Duration timeout) {
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        request.header("Accept", "application/json, text/plain");
        HttpResponse<byte[]> response = send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofByteArray());
        int status = response.statusCode();
        if (status >= 400) {
            // A proxy or a different server in front of the URL answers without Isola's body; say so.
            throw errorBody(status, readTreeQuietly(response.body())).orElseGet(() -> new AdminClientException(status,
                    "unexpected_response", "The server at " + baseUrl + " answered without an Isola error body: "
                    + quote(new String(response.body(), StandardCharsets.UTF_8))));
        }
        if (status >= 300) {
            throw new CliException("The server at " + baseUrl + " redirected (HTTP " + status + " to "
                    + response.headers().firstValue("Location").orElse("?") + "); use that address as --url.");
        }
        return response;
    }

    private CliException unreachable(ConnectException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return new CliException("Cannot reach Isola at " + baseUrl + ": unknown host '" + baseUrl.getHost()
                        + "'. Check --url or ISOLA_URL.", e);
            }
        }
        String reason = firstMessage(e).map(m -> m.toLowerCase(Locale.ROOT)).orElse("connection refused");
        String hint = reason.contains("refused") ? "Is `isola serve` running?" : "Check --url or ISOLA_URL.";
        return new CliException("Cannot reach Isola at " + baseUrl + ": " + reason + ". " + hint, e);
    }

    private static Optional<String> firstMessage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return Optional.of(t.getMessage());
            }
        }
        return Optional.empty();
    }

    private static String quote(String body) {
        String flat = body.strip().replaceAll("\\s+", " ");
        return flat.isEmpty() ? "(empty body)"
                : '"' + (flat.length() > MAX_QUOTED_BODY ? flat.substring(0, MAX_QUOTED_BODY) + "..." : flat) + '"';
    }
}
