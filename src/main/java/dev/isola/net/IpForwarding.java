package dev.isola.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * IPv4 forwarding for functions with egress: turned on when the first such instance attaches and it is off, and
 * turned off again at shutdown. Routing is host-wide, so a host that forwarded nothing before Isola should not
 * forward after it.
 *
 * <p>Whether Isola turned it on is recorded in a marker file of the state directory, written before forwarding is
 * switched on and deleted after it is switched off: a run that crashed in between leaves the marker, and the next
 * run on this state directory switches it off at its own shutdown. The owner ({@link InstanceNetwork}) restores only
 * once the bridge has no port left: another Isola's instances on it may still need forwarding.
 */
final class IpForwarding {
    private static final System.Logger LOG = System.getLogger(IpForwarding.class.getName());

    private final Path sysctl;
    private final Path marker;

    /** {@code sysctl}: {@code /proc/sys/net/ipv4/ip_forward}; {@code marker}: in the state directory. */
    IpForwarding(Path sysctl, Path marker) {
        this.sysctl = sysctl;
        this.marker = marker;
    }

    /** Turns forwarding on if it is off (recording that this state directory's Isola did so). */
    synchronized void enable() {
        try {
            if (!on()) {
                Files.createDirectories(marker.getParent());
                Files.writeString(marker, "net.ipv4.ip_forward was 0\n");
                Files.writeString(sysctl, "1");
                LOG.log(System.Logger.Level.WARNING, "net: turned on IPv4 forwarding (net.ipv4.ip_forward=1) for "
                        + "a function with egress, until Isola stops; the firewall forwards only such instances' "
                        + "traffic and its replies through Isola's bridges");
            }
        } catch (IOException e) {
            throw new NetworkException("Failed to turn on IPv4 forwarding for egress: " + e.getMessage(), e);
        }
    }

    /** Turns forwarding off if this state directory's Isola (this run or a crashed one) turned it on; never throws. */
    synchronized void restore() {
        if (!Files.exists(marker)) {
            return;
        }
        try {
            Files.writeString(sysctl, "0");
            Files.deleteIfExists(marker);
            LOG.log(System.Logger.Level.INFO, "net: turned IPv4 forwarding off again (net.ipv4.ip_forward=0), as "
                    + "it was before Isola turned it on");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "net: failed to turn IPv4 forwarding off again: " + e.getMessage());
        }
    }

    private boolean on() throws IOException {
        return Files.readString(sysctl).trim().equals("1");
    }
}
