package dev.isola.function;

/**
 * The outcome of a successful deploy.
 *
 * @param created true if this is the first version of the name (or the first since it was deleted): HTTP 201, not 200
 * @param active  whether the new version serves now (false for a staged deploy)
 */
public record DeployResult(DeployedFunction function, boolean created, boolean active) {
}
