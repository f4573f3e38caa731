package dev.isola.admin;

import dev.isola.dispatch.Dispatcher;
import dev.isola.function.DeployResult;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.FunctionService;
import dev.isola.logs.FunctionLogs;

import java.io.InputStream;
import java.util.Optional;

/**
 * The control plane's one application service: what deploying, removing and restoring a function does across the
 * function store, the dispatcher and the logs, in the order that keeps them consistent.
 */
public final class Deployments {
    private final FunctionService functions;
    private final Dispatcher dispatcher;
    private final FunctionLogs logs;

    public Deployments(FunctionService functions, Dispatcher dispatcher, FunctionLogs logs) {
        this.functions = functions;
        this.dispatcher = dispatcher;
        this.logs = logs;
    }

    /** Builds and records a new version, then serves it (the previous version drains). */
    DeployResult deploy(FunctionName name, InputStream archive) {
        DeployResult result = functions.deploy(name, archive);
        dispatcher.deploy(result.function());
        return result;
    }

    /** Stops serving {@code function} (its calls finish first), then deletes its versions and logs. */
    void remove(DeployedFunction function) {
        dispatcher.remove(function.name());
        functions.delete(function.name());
        logs.delete(function.name());
    }

    /** At start-up: serves every stored function's latest version again. Returns how many. */
    public int restoreAll() {
        int restored = 0;
        for (DeployedFunction fn : functions.loadAll()) {
            dispatcher.deploy(fn);
            restored++;
        }
        return restored;
    }

    Optional<DeployedFunction> current(FunctionName name) {
        return functions.current(name);
    }

    FunctionService functions() {
        return functions;
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    FunctionLogs logs() {
        return logs;
    }
}
