package dev.isola.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.bench.result.Sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The benchmarks' only way into Isola: its public HTTP API, as a user would call it (admin API with the bearer token,
 * invocations through the gateway). Blocking calls, safe from many threads; an interrupt aborts a call with
 * {@link InterruptedException}, which is how Ctrl-C stops a run mid-request.
 */
final class BenchClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration ADMIN_TIMEOUT = Duration.ofMinutes(5);
    private static final int BODY_PREVIEW = 300;

    private final URI base;
    private final URI admin;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    /** {@code base}: the gateway (invocations); {@code admin}: the admin API and {@code /metrics}. */
    BenchClient(URI base, URI admin, String token) {
        this.base = base;
        this.admin = admin;
        this.token = token;
    }

    URI base() {
        return base;
    }

    /** PUTs a zipped function directory; the build happens inside the call. */
    void deploy(String name, byte[] zip) throws InterruptedException {
        if (!tryDeploy(name, zip)) {
            throw new BenchException("Failed to deploy function " + name + ": HTTP 400 (invalid manifest)");
        }
    }

    /** Like {@link #deploy}, but a manifest the server refuses (400: e.g. a feature the backend lacks) is false. */
    boolean tryDeploy(String name, byte[] zip) throws InterruptedException {
        return put(name, zip, true).statusCode() != 400;
    }

    /**
     * Deploys a version and returns its number; with {@code activate} false it is only staged (built and stored,
     * serving once {@link #rollback} names it), unless it is the function's first.
     */
    int deployVersion(String name, byte[] zip, boolean activate) throws InterruptedException {
        HttpResponse<String> res = put(name, zip, activate);
        if (res.statusCode() == 400) {
            throw new BenchException("Failed to deploy function " + name + ": HTTP 400 " + preview(res.body()));
        }
        JsonNode versions = json(res.body()).path("versions");
        return versions.get(versions.size() - 1).path("version").asInt();
    }

    /** Makes stored {@code version} of {@code name} the one that serves (no build). */
    void rollback(String name, int version) throws InterruptedException {
        HttpResponse<String> res = admin(HttpRequest.newBuilder(admin.resolve("/system/functions/" + name
                + "/rollback")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"version\": " + version + "}")));
        if (res.statusCode() != 200) {
            throw new BenchException("Failed to activate version " + version + " of " + name + ": HTTP "
                    + res.statusCode() + " " + preview(res.body()));
        }
    }

    /** PUTs a zipped function directory; any answer but 2xx or 400 is an error. */
    private HttpResponse<String> put(String name, byte[] zip, boolean activate) throws InterruptedException {
        HttpResponse<String> res = admin(HttpRequest.newBuilder(admin.resolve("/system/functions/" + name
                        + (activate ? "" : "?activate=false")))
                .header("Content-Type", "application/zip").PUT(HttpRequest.BodyPublishers.ofByteArray(zip)));
        if (res.statusCode() / 100 != 2 && res.statusCode() != 400) {
            throw new BenchException("Failed to deploy function " + name + ": HTTP " + res.statusCode() + " "
                    + preview(res.body()));
        }
        return res;
    }

    /** Deletes a function: waits for its requests and stops its instances. Absent is fine. */
    void delete(String name) throws InterruptedException {
        HttpResponse<String> res = admin(HttpRequest.newBuilder(admin.resolve("/system/functions/" + name)).DELETE());
        if (res.statusCode() != 204 && res.statusCode() != 404) {
            throw new BenchException("Failed to delete function " + name + ": HTTP " + res.statusCode() + " "
                    + preview(res.body()));
        }
    }

    List<InstanceInfo> instances(String function) throws InterruptedException {
        HttpResponse<String> res = admin(HttpRequest.newBuilder(admin.resolve("/system/instances?limit=10000&function="
                + function)).GET());
        if (res.statusCode() != 200) {
            throw new BenchException("Failed to list instances: HTTP " + res.statusCode() + " " + preview(res.body()));
        }
        List<InstanceInfo> out = new ArrayList<>();
        for (JsonNode n : json(res.body())) {
            if (n.path("function").asText().equals(function)) {
                out.add(new InstanceInfo(n.path("id").asText(), function, n.path("state").asText(),
                        n.path("start").asText(), n.path("endpoint").asText(),
                        n.has("pid") ? OptionalLong.of(n.get("pid").asLong()) : OptionalLong.empty()));
            }
        }
        return out;
    }

    /** Polls until {@code count} instances of {@code function} are ready (and have a pid when asked); returns them. */
    List<InstanceInfo> awaitReady(String function, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<InstanceInfo> ready = instances(function).stream().filter(InstanceInfo::ready).toList();
            if (ready.size() >= count) {
                return ready;
            }
            if (System.nanoTime() > deadline) {
                throw BenchException.timedOut("Failed to get " + count + " ready instances of " + function + " within "
                        + timeout.toSeconds() + " s: " + ready.size() + " ready");
            }
            Thread.sleep(5); // the API call itself takes about a millisecond; 5 ms keeps the server mostly idle
        }
    }

    /** Polls until {@code function} has exactly {@code count} instances, all in {@code state}; returns them. */
    List<InstanceInfo> awaitExactly(String function, String state, int count, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<InstanceInfo> now = instances(function);
            if (now.size() == count && now.stream().allMatch(i -> i.state().equals(state))) {
                return now;
            }
            if (System.nanoTime() > deadline) {
                throw BenchException.timedOut("Failed to see " + function + " with " + count + " instances in state "
                        + state + " within " + timeout.toSeconds() + " s: "
                        + now.stream().map(InstanceInfo::state).toList());
            }
            Thread.sleep(20);
        }
    }

    /** Polls until no instance of {@code function} is left. */
    void awaitGone(String function, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!instances(function).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw BenchException.timedOut("Failed to stop the instances of " + function + " within "
                        + timeout.toSeconds() + " s");
            }
            Thread.sleep(20);
        }
    }

    /** The Prometheus exposition of {@code /metrics}. */
    String metrics() throws InterruptedException {
        return send(HttpRequest.newBuilder(admin.resolve("/metrics")).timeout(ADMIN_TIMEOUT).GET()).body();
    }

    /** GET {@code /function/<name><pathAndQuery>} through the gateway; never throws for a failed call. */
    Call invoke(String name, String pathAndQuery, Duration timeout) throws InterruptedException {
        return timed(HttpRequest.newBuilder(base.resolve("/function/" + name + pathAndQuery)).timeout(timeout).GET()
                .build(), timeout);
    }

    /** GET {@code path} of the gateway (not a function: {@code /healthz}), timed like a call; never throws. */
    Call getGateway(String path, Duration timeout) throws InterruptedException {
        return timed(HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).GET().build(), timeout);
    }

    /** GET {@code pathAndQuery} of the admin API with the token, timed like a call; never throws. */
    Call getAdmin(String pathAndQuery, Duration timeout) throws InterruptedException {
        return timed(HttpRequest.newBuilder(admin.resolve(pathAndQuery)).header("Authorization", "Bearer " + token)
                .timeout(timeout).GET().build(), timeout);
    }

    /**
     * How many instances of {@code function} are in {@code state} ("any" for all), from {@code /metrics}: at
     * thousands of instances the listing's JSON would cost the server what the starts being measured need.
     */
    int instanceCount(String function, String state) throws InterruptedException {
        return instanceCount(metrics(), function, state);
    }

    /** {@link #instanceCount(String, String)} read from a {@code /metrics} text. */
    static int instanceCount(String metrics, String function, String state) {
        return (int) gauge(metrics, "isola_instances", "function=\"" + function + "\"",
                state.equals("any") ? "" : "state=\"" + state + "\"");
    }

    /**
     * The instances held against the node's budget: the live ones of every function and those still stopping (their
     * room comes back once their sandbox has stopped).
     */
    int nodeInstances() throws InterruptedException {
        return (int) gauge(metrics(), "isola_node_budget_instances", "kind=\"used\"", "");
    }

    /** The sum of the series of gauge {@code name} whose labels hold both label texts ("" matches any). */
    private static double gauge(String metrics, String name, String label, String otherLabel) {
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(label) && line.contains(otherLabel)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private Call timed(HttpRequest request, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        try {
            HttpResponse<String> res = http.send(request, HttpResponse.BodyHandlers.ofString());
            double millis = (System.nanoTime() - start) / 1e6;
            boolean cold = res.headers().firstValue("X-Isola-Cold-Start").map("true"::equals).orElse(false);
            int code = res.statusCode();
            if (code / 100 == 2) {
                return new Call(Sample.Status.OK, millis, code, res.body(), cold, "");
            }
            Sample.Status status = code == 504 ? Sample.Status.TIMEOUT : Sample.Status.ERROR;
            return new Call(status, millis, code, res.body(), cold, "HTTP " + code + ": " + preview(res.body()));
        } catch (HttpTimeoutException e) {
            return new Call(Sample.Status.TIMEOUT, (System.nanoTime() - start) / 1e6, 0, "", false,
                    "no answer within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return new Call(Sample.Status.ERROR, (System.nanoTime() - start) / 1e6, 0, "", false,
                    e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private HttpResponse<String> admin(HttpRequest.Builder request) throws InterruptedException {
        return send(request.header("Authorization", "Bearer " + token).timeout(ADMIN_TIMEOUT));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws InterruptedException {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new BenchException("Failed to call " + request.build().uri() + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new BenchException("Failed to parse an API answer as JSON: " + preview(body), e);
        }
    }

    static String preview(String body) {
        String oneLine = body.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= BODY_PREVIEW ? oneLine : oneLine.substring(0, BODY_PREVIEW) + "...";
    }
}
