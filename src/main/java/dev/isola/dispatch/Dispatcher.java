package dev.isola.dispatch;

import dev.isola.Ticker;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.TrafficShare;
import dev.isola.metrics.Metrics;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * The seam between the edge and the sandboxes: which instance serves a call, and the life of every function's
 * instances. The gateway asks for a slot and proxies; it never sees a sandbox.
 */
public interface Dispatcher extends AutoCloseable {
    /**
     * A slot of an instance of the function's current version, decided now without blocking: {@code Acquired} when
     * a ready instance has room (the warm path), {@code NotFound}, or {@code Pending} when the call must wait or an
     * instance must start for it — that decision is taken now, the waiting and the start happen in
     * {@link Acquisition.Pending#await()}. The function's timeout bounds the wait.
     *
     * @param probe how to tell that an instance started for this call is ready; the gateway passes one that keeps
     *              the accepted connection for the call
     */
    Acquisition acquire(FunctionName name, EndpointProbe probe);

    /** Serves {@code function} from now on; a previous version drains in the background. */
    default void deploy(DeployedFunction function) {
        split(List.of(new TrafficShare(function, 100)));
    }

    /**
     * Serves the versions of one function in {@code shares}, each new call going to one of them at random by weight
     * (a traffic split); a version already serving keeps its instances, the versions left out drain in the
     * background.
     */
    void split(List<TrafficShare> shares);

    /** Stops serving {@code name}: waits for its in-flight requests (up to its timeout), then stops its instances. */
    boolean remove(FunctionName name);

    /**
     * The version of {@code name} that is served (the first of a traffic split), if it is deployed; read from memory,
     * so an event loop may ask.
     */
    Optional<DeployedFunction> serving(FunctionName name);

    /** The backend the function's instances run on, if it is deployed. */
    Optional<String> backend(FunctionName name);

    /** Every instance, in no particular order (a node holds thousands: a listing asks for a {@link #page}). */
    List<InstanceView> instances();

    /**
     * The instances with ids after {@code after} ("" from the first), ordered by id, at most {@code limit}, of one
     * function or of all; its cost grows with the page, and by a comparison only with the instances not on it.
     */
    InstancePage page(Optional<FunctionName> function, String after, int limit);

    /** Every instance of {@code name}, a view of each (a function may hold thousands: a listing asks for a page). */
    List<InstanceView> instances(FunctionName name);

    /** How many instances {@code name} has, standby sandboxes included, without a view of each. */
    int instanceCount(FunctionName name);

    /** Runs one round of housekeeping (idle timeouts, dead instances, {@code minInstances}) now. */
    void maintain();

    /**
     * Takes no new calls (they are answered {@code Unavailable}), lets the calls in flight and the queued ones finish
     * for up to the drain timeout, then stops every instance and returns once all have stopped.
     */
    @Override
    void close();

    /**
     * Ends the wait of a {@link #close()} in progress for calls to finish now (the operator's second SIGTERM): their
     * instances are stopped under them, and close returns once every instance is gone, as at the drain deadline.
     */
    void cutDrainShort();

    /**
     * What a dispatcher is made of.
     *
     * @param queueLimit       requests that may wait per function when all its instances are busy
     * @param maintainInterval how often idle and dead instances are reaped; {@link Duration#ZERO} runs no
     *                         housekeeper (tests call {@link #maintain()} themselves)
     * @param probe            the readiness probe of starts that are not for a call (pre-warming)
     * @param drainTimeout     how long {@link #close()} lets calls in flight and queued ones finish
     * @param budget           the node's room for instances, shared by every function
     */
    record Parts(Launcher launcher, Ticker ticker, InstantSource wallClock, Metrics metrics, int queueLimit,
                 Duration maintainInterval, InstanceEvents events, EndpointProbe probe, Duration drainTimeout,
                 NodeBudget budget) {
    }

    static Dispatcher create(Parts parts) {
        return new PoolDispatcher(parts);
    }
}
