package dev.isola.sandbox.spi;

import dev.isola.config.Section;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * Host uids (and gids, the same numbers) that sandbox processes drop to, one per live instance: QEMU processes of
 * the microvm backend, functions of the process backend. A range is a setting's base and the count of ids above it.
 * An instance's id is derived from its instance id (a hash into the range) and moved on to the next free one when
 * another live instance holds it, so two live instances never share a uid: one cannot signal, ptrace or read the
 * memory of another, and every process of an instance can be found by its uid. An id is given back only once the
 * instance's processes have exited.
 *
 * <p>Ids of a crashed run are free again: start-up reaping stops that run's instances before this run starts any.
 * Two Isolas on one host, and two backends of one Isola, need disjoint ranges. The range must not hold a host user
 * or group, nor overlap a subordinate id range ({@code /etc/subuid}, {@code /etc/subgid}: rootless containers map
 * those): {@link #hostCollision} says which entry does, and the backend reports itself unavailable until the
 * operator moves the range.
 */
public final class SandboxUids {
    /** As many ids as one subordinate-id block: more than a node ever runs instances of one backend at once. */
    public static final int DEFAULT_COUNT = 65_536;
    /**
     * Above the 16-bit ids, where distributions put system users, systemd's dynamic users (61184-65519) and
     * {@code nobody}, none of which need be in {@code /etc/passwd}.
     */
    private static final int MIN_BASE = 65_536;
    /** Far below the id that means "none" to setuid ({@code (uid_t) -1}), with room for a range. */
    private static final int MAX_BASE = 2_000_000_000;

    private final int base;
    private final int count;
    private final String setting;
    private final BitSet inUse;

    /** {@code setting}: where the operator sets the range, for messages (e.g. {@code sandbox.microvm.uidBase}). */
    public SandboxUids(int base, int count, String setting) {
        if (base < 1 || count < 1 || (long) base + count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("uid range " + base + "+" + count + " (" + setting + ") is out of "
                    + "bounds");
        }
        this.base = base;
        this.count = count;
        this.setting = setting;
        this.inUse = new BitSet(count);
    }

    /** The range a backend's section sets with {@code uidBase} and {@code uidCount}. */
    public static SandboxUids fromSettings(Section settings, String backend, int defaultBase) {
        int base = settings.integer("uidBase", MIN_BASE, MAX_BASE, defaultBase);
        int count = settings.integer("uidCount", 1, Integer.MAX_VALUE - base, DEFAULT_COUNT);
        return new SandboxUids(base, count, "sandbox." + backend + ".uidBase");
    }

    public int first() {
        return base;
    }

    public int last() {
        return base + count - 1;
    }

    /** A uid no other live instance of this range holds, derived from {@code instanceId}; fails when all are taken. */
    public synchronized int acquire(String instanceId) {
        int start = Math.floorMod(instanceId.hashCode(), count);
        int slot = inUse.nextClearBit(start);
        if (slot >= count) {
            slot = inUse.nextClearBit(0);
        }
        if (slot >= count) {
            throw new SandboxException("Failed to pick a uid for instance " + instanceId + ": all " + count
                    + " ids from " + setting + " " + base + " are held by live instances");
        }
        inUse.set(slot);
        return base + slot;
    }

    /** Gives {@code uid} back; call it only once the processes that ran as it have exited. */
    public synchronized void release(int uid) {
        inUse.clear(uid - base);
    }

    public synchronized int held() {
        return inUse.cardinality();
    }

    /**
     * The first host user, group or subordinate id range (files under {@code etc}) inside this range, described,
     * or empty when there is none. Unreadable or missing files count as empty.
     */
    public Optional<String> hostCollision(Path etc) {
        for (String db : List.of("passwd", "group")) {
            for (String line : lines(etc.resolve(db))) {
                String[] f = line.split(":");
                if (f.length > 2 && overlaps(number(f[2]), 1)) {
                    return Optional.of("id " + f[2] + " (" + f[0] + ") of " + etc.resolve(db));
                }
            }
        }
        for (String db : List.of("subuid", "subgid")) {
            for (String line : lines(etc.resolve(db))) {
                String[] f = line.split(":");
                if (f.length > 2 && overlaps(number(f[1]), number(f[2]))) {
                    return Optional.of("ids " + f[1] + "+" + f[2] + " (" + f[0] + ") of " + etc.resolve(db));
                }
            }
        }
        return Optional.empty();
    }

    private boolean overlaps(long start, long length) {
        return start >= 0 && length > 0 && start <= last() && start + length - 1 >= base;
    }

    private static long number(String field) {
        try {
            return Long.parseLong(field.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
