package dev.isola.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * What the operator — not a function's manifest — lets functions have.
 *
 * @param isolationFloor      the weakest sandbox a deploy may use: {@code none} < {@code container} <
 *                            {@code sandbox} (a user-space kernel, gVisor) < {@code vm}
 * @param allowEgress         whether a manifest's {@code egress: true} is honoured at all (off: such deploys are
 *                            refused)
 * @param egressPrivateRanges private, link-local, loopback, shared or multicast IPv4 ranges (CIDR) that egress may
 *                            reach all the same; by default it reaches none of them, only the public internet
 */
public record TrustPolicy(String isolationFloor, boolean allowEgress, List<String> egressPrivateRanges) {
    /** The floors, weakest first. */
    public static final List<String> FLOORS = List.of("none", "container", "sandbox", "vm");

    public TrustPolicy {
        if (!FLOORS.contains(isolationFloor)) {
            throw new ConfigException("Invalid configuration: 'isolationFloor' must be one of " + FLOORS + ", not '"
                    + isolationFloor + "'");
        }
        egressPrivateRanges = List.copyOf(egressPrivateRanges);
        egressPrivateRanges.forEach(TrustPolicy::checkCidr);
    }

    /**
     * As root, {@code container}: a function's code never runs as a host process unless the operator says so. Not
     * as root only {@code process} can run at all, so the floor is {@code none} (and the server warns).
     */
    public static TrustPolicy defaults() {
        return new TrustPolicy(runningAsRoot() ? "container" : "none", false, List.of());
    }

    /** Everything allowed: for tests and benchmarks that must run the unisolating backend. */
    public static TrustPolicy permissive() {
        return new TrustPolicy("none", true, List.of());
    }

    public static boolean runningAsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static void checkCidr(String cidr) {
        if (!cidr.matches("(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}") || Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1)) > 32
                || Arrays.stream(cidr.substring(0, cidr.indexOf('/')).split("\\.")).anyMatch(o -> Integer.parseInt(o) > 255)) {
            throw new ConfigException("Invalid configuration: 'egressPrivateRanges' holds '" + cidr
                    + "', which is not an IPv4 range such as 10.1.0.0/16");
        }
    }
}
