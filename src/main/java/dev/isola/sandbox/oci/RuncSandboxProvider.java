package dev.isola.sandbox.oci;

/** The {@code runc} backend. */
public final class RuncSandboxProvider extends OciSandboxProvider {
    public RuncSandboxProvider() {
        super("runc");
    }
}
