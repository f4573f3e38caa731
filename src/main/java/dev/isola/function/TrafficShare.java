package dev.isola.function;

/**
 * One version of a function that takes calls, and its share of them in percent (100 when it is the only one).
 */
public record TrafficShare(DeployedFunction function, int weight) {
    public TrafficShare {
        if (weight < 1 || weight > 100) {
            throw new IllegalArgumentException("a routed version's weight is 1 to 100, not " + weight);
        }
    }
}
