package dev.isola.api;

import java.util.List;

/**
 * Every route Isola serves, in one table: where it is served, its path template and its methods, exactly as
 * openapi.yaml describes them (a test holds the document to this table). The control plane registers its routes from
 * here; the edge matches its few by hand on the hot path, and a test holds that matching to this table.
 */
public enum Route {
    INVOKE(Plane.EDGE, "/function/{name}", Methods.ANY),
    INVOKE_PATH(Plane.EDGE, "/function/{name}/{rest}", Methods.ANY),
    /** An asynchronous call: 202 and {@code X-Call-Id} once stored; it runs later. */
    ASYNC_INVOKE(Plane.EDGE, "/async-function/{name}", Methods.ANY),
    ASYNC_INVOKE_PATH(Plane.EDGE, "/async-function/{name}/{rest}", Methods.ANY),
    /** The paper harness' invocation path. */
    INVOKE_HARNESS(Plane.EDGE, "/invoke/{name}/{rest}", List.of("GET")),
    HEALTH(Plane.EDGE, "/healthz", List.of("GET")),
    /** Called by starting instances (internal). */
    READY(Plane.EDGE, "/_/ready/{instanceId}/{nonce}", List.of("POST", "GET")),
    METRICS(Plane.CONTROL, "/metrics", List.of("GET")),
    LIST_FUNCTIONS(Plane.CONTROL, "/system/functions", List.of("GET")),
    DEPLOY_FUNCTION(Plane.CONTROL, "/system/functions/{name}", List.of("PUT")),
    DESCRIBE_FUNCTION(Plane.CONTROL, "/system/functions/{name}", List.of("GET")),
    DELETE_FUNCTION(Plane.CONTROL, "/system/functions/{name}", List.of("DELETE")),
    FUNCTION_LOGS(Plane.CONTROL, "/system/functions/{name}/logs", List.of("GET")),
    FUNCTION_INVOCATIONS(Plane.CONTROL, "/system/functions/{name}/invocations", List.of("GET")),
    FUNCTION_VERSIONS(Plane.CONTROL, "/system/functions/{name}/versions", List.of("GET")),
    FUNCTION_ROLLBACK(Plane.CONTROL, "/system/functions/{name}/rollback", List.of("POST")),
    FUNCTION_TRAFFIC(Plane.CONTROL, "/system/functions/{name}/traffic", List.of("PUT")),
    FUNCTION_CALLS(Plane.CONTROL, "/system/functions/{name}/calls", List.of("GET")),
    DESCRIBE_CALL(Plane.CONTROL, "/system/calls/{id}", List.of("GET")),
    CANCEL_CALL(Plane.CONTROL, "/system/calls/{id}", List.of("DELETE")),
    LIST_INSTANCES(Plane.CONTROL, "/system/instances", List.of("GET"));

    /** Method lists (a holder: enum constants cannot use the enum's own static fields). */
    public static final class Methods {
        /** The methods an invocation passes through (HEAD and OPTIONS included). */
        public static final List<String> ANY = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");

        private Methods() {
        }
    }

    /** Which server answers: the edge (Netty, the hot path) or the control plane behind it (Helidon). */
    public enum Plane { EDGE, CONTROL }

    private final Plane plane;
    private final String path;
    private final List<String> methods;

    Route(Plane plane, String path, List<String> methods) {
        this.plane = plane;
        this.path = path;
        this.methods = methods;
    }

    public Plane plane() {
        return plane;
    }

    /** The path template, OpenAPI style: {@code /system/functions/{name}}. */
    public String path() {
        return path;
    }

    public List<String> methods() {
        return methods;
    }

    /** Whether the route is behind the admin token. */
    public boolean needsToken() {
        return path.startsWith("/system");
    }
}
