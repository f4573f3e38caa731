package dev.isola.sandbox.spi;

import java.util.Arrays;

/** How strongly a backend keeps a function from the host, weakest first. */
public enum Isolation {
    /** The function runs as a host process: for development and baselines only. */
    NONE("none"),
    /** Namespaces, cgroups and a seccomp filter around a process that talks to the host kernel. */
    CONTAINER("container"),
    /** A user-space kernel (gVisor) between the function and the host kernel. */
    USER_SPACE_KERNEL("sandbox"),
    /** A virtual machine with a kernel of its own. */
    VIRTUAL_MACHINE("vm");

    private final String floorName;

    Isolation(String floorName) {
        this.floorName = floorName;
    }

    public boolean isolating() {
        return this != NONE;
    }

    /** The name an operator's isolation floor uses for this level ({@code none}, {@code container}, ...). */
    public String floorName() {
        return floorName;
    }

    /** The level an isolation floor names; the configuration has checked the name. */
    public static Isolation ofFloor(String name) {
        return Arrays.stream(values()).filter(i -> i.floorName.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no isolation level '" + name + "'"));
    }
}
