package dev.isola.function;

/**
 * The outcome of a successful deploy.
 *
 * @param created true if this is the first version of the name (or the first since it was deleted): HTTP 201, not 200
 */
public record DeployResult(DeployedFunction function, boolean created) {
}
