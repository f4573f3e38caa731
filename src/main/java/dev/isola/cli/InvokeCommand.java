package dev.isola.cli;

import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code isola invoke NAME}: one call through {@code /function/NAME}, curl-style. The body goes to stdout byte for
 * byte (streamed, so large bodies are fine); everything else goes to stderr so that stdout can be piped. With
 * {@code --async} the call is queued ({@code /async-function/NAME}) and its id is the output.
 */
@Command(name = "invoke",
        description = "Call a function and write its response body to stdout. No admin token needed.")
final class InvokeCommand extends ClientCommand {
    @ParentCommand
    private IsolaCommand parent;

    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class, description = "Function name.")
    private FunctionName name;

    @Option(names = {"-d", "--data"}, paramLabel = "DATA",
            description = "Request body; @FILE reads a file, @- reads stdin. Implies POST unless -X is given.")
    private String data;

    @Option(names = {"-X", "--request"}, paramLabel = "METHOD", description = "HTTP method (default: GET, or POST with -d).")
    private String method;

    @Option(names = "--path", paramLabel = "PATH", defaultValue = "",
            description = "Path (and query) the function sees, e.g. /items?id=3 (default: /).")
    private String path;

    @Option(names = {"-H", "--header"}, paramLabel = "'NAME: VALUE'", description = "Extra request header; repeatable.")
    private List<String> headers = new ArrayList<>();

    @Option(names = {"-i", "--include"}, description = "Print the status line and headers to stderr first.")
    private boolean include;

    @Option(names = "--async", description = "Queue the call (/async-function/NAME) and print its id at once; "
            + "'isola call ID' tells how it ended.")
    private boolean async;

    @Option(names = "--callback-url", paramLabel = "URL",
            description = "With --async: where the result is POSTed once the call ends (hosts the operator allows).")
    private String callbackUrl;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "Give up after this long (default: ${DEFAULT-VALUE}); the function's own timeout still applies.")
    private int timeoutSeconds;

    @Override
    int execute() {
        AdminClient client = server.anonymousClient();
        if (callbackUrl != null && !async) {
            throw usage("--callback-url needs --async");
        }
        HttpRequest request = request(client);
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (async && response.statusCode() == 202) {
            // The id alone on stdout, for scripts: ID=$(isola invoke --async fn).
            out().println(response.headers().firstValue("X-Call-Id").orElse(""));
            err().println("Queued; 'isola call <id>' tells how it ended.");
            return 0;
        }
        if (include) {
            printHead(response, err());
            err().flush();
        }
        out().flush();
        OutputStream stdout = parent.rawOut();
        try (InputStream body = response.body()) {
            if (response.statusCode() < 400) {
                body.transferTo(stdout);
                stdout.flush();
                return 0;
            }
            byte[] bytes = body.readAllBytes();
            Optional<AdminClientException> platformError = AdminClient.isolaError(response.statusCode(), bytes);
            if (platformError.isPresent()) {
                throw platformError.get();
            }
            // The function itself answered with an error: its body is still its output.
            stdout.write(bytes);
            stdout.flush();
            err().println("Error: function " + name + " answered HTTP " + response.statusCode());
            return 1;
        } catch (IOException e) {
            throw new CliException("Lost the response of " + name + " midway: " + e.getMessage(), e);
        }
    }

    private HttpRequest request(AdminClient client) {
        String suffix = path.isEmpty() || path.startsWith("/") || path.startsWith("?") ? path : "/" + path;
        URI uri;
        try {
            uri = client.uri((async ? "/async-function/" : "/function/") + name + suffix);
        } catch (IllegalArgumentException e) {
            throw usage("Invalid --path '" + path + "': percent-encode spaces and special characters");
        }
        if (timeoutSeconds < 1) {
            throw usage("--timeout must be at least 1 second");
        }
        String verb = Optional.ofNullable(method).map(m -> m.toUpperCase(Locale.ROOT))
                .orElse(data != null ? "POST" : "GET");
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(timeoutSeconds));
        try {
            builder.method(verb, data == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body()));
        } catch (IllegalArgumentException e) {
            throw usage("Cannot send method '" + method + "': " + e.getMessage());
        }
        if (callbackUrl != null) {
            builder.header("X-Callback-Url", callbackUrl);
        }
        for (String header : headers) {
            int colon = header.indexOf(':');
            if (colon <= 0) {
                throw usage("Invalid header '" + header + "': expected 'NAME: VALUE'");
            }
            String headerName = header.substring(0, colon).strip();
            try {
                builder.header(headerName, header.substring(colon + 1).strip());
            } catch (IllegalArgumentException e) {
                // The JDK client owns Host, Connection, Content-Length, Expect and Upgrade.
                throw usage("Cannot send header '" + headerName + "': " + e.getMessage());
            }
        }
        return builder.build();
    }

    private byte[] body() {
        if (!data.startsWith("@")) {
            return data.getBytes(StandardCharsets.UTF_8);
        }
        String source = data.substring(1);
        try {
            return source.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(source));
        } catch (IOException e) {
            throw new CliException("Cannot read the request body from " + source + ": " + e.getMessage(), e);
        }
    }

    private static void printHead(HttpResponse<?> response, PrintWriter err) {
        String version = response.version() == HttpClient.Version.HTTP_2 ? "HTTP/2" : "HTTP/1.1";
        err.println(version + " " + response.statusCode());
        for (Map.Entry<String, List<String>> header : response.headers().map().entrySet()) {
            if (header.getKey().startsWith(":")) {
                continue;   // HTTP/2 pseudo-headers are not headers
            }
            for (String value : header.getValue()) {
                err.println(header.getKey() + ": " + value);
            }
        }
        err.println();
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
