package dev.isola.admin;

import dev.isola.dispatch.Dispatcher;
import dev.isola.function.DeployResult;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.FunctionService;
import dev.isola.function.TrafficShare;
import dev.isola.logs.FunctionLogs;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The control plane's one application service: what deploying, removing and restoring a function does across the
 * function store, the dispatcher and the logs, in the order that keeps them consistent.
 */
public final class Deployments {
    private final FunctionService functions;
    private final Dispatcher dispatcher;
    private final FunctionLogs logs;
    private final ConcurrentHashMap<FunctionName, ReentrantLock> locks = new ConcurrentHashMap<>();

    public Deployments(FunctionService functions, Dispatcher dispatcher, FunctionLogs logs) {
        this.functions = functions;
        this.dispatcher = dispatcher;
        this.logs = logs;
    }

    /**
     * Builds and records a new version, then serves it (the previous version drains: its calls in flight finish on
     * it); with {@code activate} false the new version is only staged.
     */
    DeployResult deploy(FunctionName name, InputStream archive, boolean activate) {
        ReentrantLock lock = lockFor(name);
        lock.lock();
        try {
            DeployResult result = functions.deploy(name, archive, activate);
            if (result.active()) {
                dispatcher.deploy(result.function());
            }
            return result;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Serves a stored version again, without a rebuild: {@code version}, or the previously active one (a rollback).
     * The version serving until now drains as after a deploy, so no call is dropped. Empty if {@code name} is not
     * deployed; throws {@link dev.isola.function.InvalidFunctionException} ({@code version_not_found}).
     */
    Optional<DeployedFunction> activate(FunctionName name, OptionalInt version) {
        ReentrantLock lock = lockFor(name);
        lock.lock();
        try {
            Optional<DeployedFunction> active = functions.activate(name, version);
            active.ifPresent(dispatcher::deploy);
            return active;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Splits new calls between stored versions by weight ({@link FunctionService#split}); versions already serving
     * keep their instances, versions left out drain. Empty if {@code name} is not deployed.
     */
    List<TrafficShare> split(FunctionName name, Map<Integer, Integer> weights) {
        ReentrantLock lock = lockFor(name);
        lock.lock();
        try {
            List<TrafficShare> shares = functions.split(name, weights);
            if (!shares.isEmpty()) {
                dispatcher.split(shares);
            }
            return shares;
        } finally {
            lock.unlock();
        }
    }

    /** One lock per name: the store's active version and the dispatcher's change together, never crossed. */
    private ReentrantLock lockFor(FunctionName name) {
        return locks.computeIfAbsent(name, n -> new ReentrantLock());
    }

    /** Stops serving {@code function} (its calls finish first), then deletes its versions and logs. */
    void remove(DeployedFunction function) {
        ReentrantLock lock = lockFor(function.name());
        lock.lock();
        try {
            dispatcher.remove(function.name());
            functions.delete(function.name());
            logs.delete(function.name());
        } finally {
            lock.unlock();
        }
    }

    /** At start-up: serves every stored function's latest version again. Returns how many. */
    public int restoreAll() {
        int restored = 0;
        for (DeployedFunction fn : functions.loadAll()) {
            List<TrafficShare> shares = functions.routing(fn.name());
            if (shares.size() > 1) {
                dispatcher.split(shares);
            } else {
                dispatcher.deploy(fn);
            }
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
