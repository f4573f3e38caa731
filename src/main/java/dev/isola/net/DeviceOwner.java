package dev.isola.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which state directory made a device: every instance namespace is named {@code isola-<tag>-<key>} and every host
 * device of an instance (veth end, tap) carries the alias {@code isola:<tag>}, where the tag is derived from the state
 * directory's real path. A run holds a host-wide claim on its tag ({@link HostClaims#owners}) while it lives, and the
 * kernel drops it when the run dies.
 *
 * <p>So start-up reaping finds every device an earlier run left without any record of it: a record is written before
 * a device is made and removed after, but a run killed between the two, a clean-up that failed, or a state directory
 * removed after a crash (a benchmark's temporary one) left namespaces that nothing named any more. At start-up this
 * run's own tag names only leftovers (nothing is attached yet), and a tag whose claim nobody holds names the devices of
 * a run that is gone; another live Isola's devices are never touched. Interface names are limited to 15 characters,
 * too short for a tag beside the key: hence the alias.
 */
final class DeviceOwner implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DeviceOwner.class.getName());
    static final Path NETNS_DIR = Path.of("/var/run/netns");
    static final Path LINKS_DIR = Path.of("/sys/class/net");
    /** {@code isola-}, 8 hex digits, {@code -}, key: an earlier version's {@code isola-<key>} has no second dash. */
    private static final Pattern TAGGED_NETNS = Pattern.compile(Pattern.quote(InstanceNetwork.NETNS_PREFIX)
            + "([0-9a-f]{8})-[a-z0-9]+");
    private static final Pattern TAGGED_ALIAS = Pattern.compile("isola:([0-9a-f]{8})");

    private final String tag;
    private final HostClaims claims;
    private boolean claimed;

    private DeviceOwner(String tag, HostClaims claims) {
        this.tag = tag;
        this.claims = claims;
    }

    /** The owner of the devices made for {@code stateDir}; claimed at the first {@link #claim()}. */
    static DeviceOwner of(Path stateDir) {
        return new DeviceOwner(tagOf(stateDir), HostClaims.owners());
    }

    /** Eight hex digits of the SHA-256 of the state directory's real path: stable across runs, distinct per dir. */
    static String tagOf(Path stateDir) {
        Path path;
        try {
            path = stateDir.toRealPath();
        } catch (IOException e) {
            path = stateDir.toAbsolutePath().normalize();
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(path.toString().getBytes(StandardCharsets.UTF_8));
            // 31 bits: the claim is a byte at this offset of the owners' file, and offsets are taken as ints.
            digest[0] &= 0x7f;
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The network namespace of an instance's attachment. */
    String netns(String key) {
        return InstanceNetwork.NETNS_PREFIX + tag + "-" + key;
    }

    /** The alias of an instance's host device. */
    String alias() {
        return "isola:" + tag;
    }

    /**
     * Claims this tag for the life of this run. Taken before any device is made; it fails only while another run on
     * this state directory lives (which its lock already refuses) or another Isola is reaping a dead run's devices
     * under the same tag for a moment: so a few tries.
     */
    synchronized void claim() {
        if (claimed) {
            return;
        }
        for (int attempt = 0; attempt < 50 && !claimed; attempt++) {
            claimed = claims.tryClaim(index(tag));
            if (!claimed) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new NetworkException("interrupted while claiming the device tag " + tag, e);
                }
            }
        }
        if (!claimed) {
            throw new NetworkException("the device tag " + tag + " of this state directory is held by another live "
                    + "Isola on this host (" + HostClaims.HOST_DIR.resolve("owners") + ")");
        }
    }

    /**
     * The devices left on this host by this state directory's earlier runs and by runs that are gone, as {@code ip
     * -batch} lines, given to {@code remove} while their owners' claims are held (so that no run of theirs starts
     * meanwhile). Call once this run's tag is claimed and before it attaches anything.
     */
    void reapLeftovers(Consumer<String> remove) {
        Map<String, StringBuilder> byTag = new LinkedHashMap<>();
        for (String name : names(NETNS_DIR)) {
            Matcher m = TAGGED_NETNS.matcher(name);
            if (m.matches()) {
                byTag.computeIfAbsent(m.group(1), t -> new StringBuilder()).append("netns del ").append(name)
                        .append('\n');
            }
        }
        for (String link : names(LINKS_DIR)) {
            if (!link.startsWith(InstanceNetwork.VETH_PREFIX) && !link.startsWith(InstanceNetwork.TAP_PREFIX)) {
                continue;
            }
            aliasOf(link).map(TAGGED_ALIAS::matcher).filter(Matcher::matches).ifPresent(m -> byTag
                    .computeIfAbsent(m.group(1), t -> new StringBuilder()).append("link del ").append(link)
                    .append('\n'));
        }
        List<String> reaped = new ArrayList<>();
        byTag.forEach((owner, batch) -> {
            Runnable removal = () -> remove.accept(batch.toString());
            if (owner.equals(tag)) {
                removal.run();
                reaped.add(owner);
            } else if (whileUnclaimed(owner, removal)) { // nobody holds it: the run that made these is gone
                reaped.add(owner);
            }
        });
        if (!reaped.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "removed the network devices that ended runs left (device tags "
                    + String.join(", ", reaped) + "; this state directory's: " + tag + ")");
        }
    }

    /**
     * Runs {@code action} holding {@code owner}'s claim if no live run holds it (the run that used that tag is gone,
     * and none starts meanwhile); whether it ran.
     */
    boolean whileUnclaimed(String owner, Runnable action) {
        if (owner.equals(tag) || !claims.tryClaim(index(owner))) {
            return false;
        }
        try {
            action.run();
            return true;
        } finally {
            claims.release(index(owner));
        }
    }

    private static int index(String tag) {
        return Integer.parseInt(tag, 16);
    }

    private static Optional<String> aliasOf(String link) {
        try {
            return Optional.of(Files.readString(LINKS_DIR.resolve(link).resolve("ifalias")).strip());
        } catch (IOException e) {
            return Optional.empty(); // gone meanwhile
        }
    }

    private static List<String> names(Path dir) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            return List.of(); // no namespaces made since boot
        }
    }

    /** Gives up the claim: at shutdown, once this run's devices are gone. */
    @Override
    public synchronized void close() {
        claimed = false;
        claims.close();
    }
}
