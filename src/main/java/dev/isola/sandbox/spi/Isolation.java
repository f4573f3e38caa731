package dev.isola.sandbox.spi;

/** How strongly a backend keeps a function from the host, weakest first. */
public enum Isolation {
    /** The function runs as a host process: for development and baselines only. */
    NONE,
    /** Namespaces, cgroups and a seccomp filter around a process that talks to the host kernel. */
    CONTAINER,
    /** A user-space kernel (gVisor) between the function and the host kernel. */
    USER_SPACE_KERNEL,
    /** A virtual machine with a kernel of its own. */
    VIRTUAL_MACHINE;

    public boolean isolating() {
        return this != NONE;
    }

    /** The level's name in {@code isola doctor} and the configuration: none, container, sandbox, vm. */
    public String wireName() {
        return switch (this) {
            case NONE -> "none";
            case CONTAINER -> "container";
            case USER_SPACE_KERNEL -> "sandbox";
            case VIRTUAL_MACHINE -> "vm";
        };
    }
}
