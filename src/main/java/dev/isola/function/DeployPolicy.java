package dev.isola.function;

/**
 * What the operator allows a manifest to ask for, checked after the manifest is read and before anything of the
 * archive is built. The platform's implementation knows the sandboxes; this package does not.
 */
@FunctionalInterface
public interface DeployPolicy {
    /** Allows everything: for tests of the function service itself. */
    DeployPolicy ANY = manifest -> { };

    /** Throws {@link InvalidFunctionException} with code {@code not_permitted} and a reason if not allowed. */
    void check(Manifest manifest);

    /** This policy, then {@code next}. */
    default DeployPolicy and(DeployPolicy next) {
        return manifest -> {
            check(manifest);
            next.check(manifest);
        };
    }
}
