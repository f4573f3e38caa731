package dev.isola.net;

import dev.isola.Ticker;
import dev.isola.config.IsolaConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Container attachments (namespace + veth on the bridge) made ahead of need. Making one takes about 8 ms of a
 * container's 40 ms cold start (two {@code ip} runs and the kernel's work, measured with
 * bench/container-coldstart.sh); a start that finds one ready skips that, and a replacement is made in the
 * background, one at a time at the lowest CPU priority, once takes have paused for {@link #QUIET_NANOS} (at most
 * {@link #MAX_DEFER_NANOS} after the first): making them during a burst would compete for the kernel's network
 * lock and the CPU with the very starts it is meant to speed up. A burst that empties the pool makes the rest on
 * the spot, as without it. The pool keeps at least the configured number, and grows to twice the size of the bursts
 * it sees (up to {@value #CEILING_FACTOR} times that number; {@link BurstSizing}).
 *
 * <p>Spares are named by keys of their own ({@value #KEY_PREFIX} + 11 hex digits; instance keys are 10 digits, so
 * the two never collide), not by the instance that takes them. Each has a marker file {@code <markers>/<key>} for
 * as long as its devices exist — through the life of the instance that took it — so that the next start-up after
 * a crash removes exactly this state directory's spares ({@link #reapLeftovers}), never another Isola's.
 */
final class SpareAttachments implements AutoCloseable {
    /** The pool grows with the bursts up to this many times its configured size. */
    static final int CEILING_FACTOR = 8;
    private static final int MAX_TARGET = IsolaConfig.MAX_SPARE_NETWORKS;
    static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    static final long MAX_DEFER_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final String KEY_PREFIX = "n";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final System.Logger LOG = System.getLogger(SpareAttachments.class.getName());

    private final InstanceNetwork network;
    private final Path markers;
    private final BurstSizing sizing;
    private final Ticker ticker;
    private final Deque<InstanceNetwork.Attachment> ready = new ArrayDeque<>();
    private boolean making;
    private boolean closed;
    private long lastTakeNanos;

    /** Keeps {@code target} attachments ready once the first one is taken (nothing is made before that). */
    SpareAttachments(InstanceNetwork network, Path markers, int target, Ticker ticker) {
        this.network = network;
        this.markers = markers;
        this.ticker = ticker;
        this.sizing = new BurstSizing(target, Math.min(MAX_TARGET, target * CEILING_FACTOR), QUIET_NANOS);
    }

    /** A ready attachment, or one made now when none is; either way a replacement is started in the background. */
    InstanceNetwork.Attachment take() {
        InstanceNetwork.Attachment spare;
        synchronized (this) {
            spare = ready.pollFirst();
            lastTakeNanos = ticker.nanos();
            sizing.took(lastTakeNanos);
            replenish();
        }
        return spare != null ? spare : make(false);
    }

    /**
     * One background maker at a time: a burst that empties the pool is not also slowed by n makers at once. It also
     * trims the pool when the target has shrunk.
     */
    private void replenish() {
        if (!closed && !making && ready.size() != sizing.target()) {
            making = true;
            Thread.ofVirtual().name("spare-networks").start(this::refill);
        }
    }

    private void refill() {
        try {
            awaitQuiet();
            while (belowTarget()) {
                InstanceNetwork.Attachment made = make(true);
                if (!offer(made)) {
                    made.close();
                }
            }
            surplus().forEach(InstanceNetwork.Attachment::close);
        } catch (RuntimeException e) {
            // The next take makes its own and reports the failure to its caller; this only logs.
            LOG.log(System.Logger.Level.WARNING, "net: failed to make a spare network attachment: " + e.getMessage());
        } finally {
            synchronized (this) {
                making = false;
                notifyAll();
            }
        }
    }

    /** Waits until no take for {@link #QUIET_NANOS}, or {@link #MAX_DEFER_NANOS} have passed, or close. */
    private synchronized void awaitQuiet() {
        long deadline = ticker.nanos() + MAX_DEFER_NANOS;
        while (!closed) {
            long now = ticker.nanos();
            long wait = Math.min(lastTakeNanos + QUIET_NANOS, deadline) - now;
            if (wait <= 0) {
                return;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private synchronized boolean belowTarget() {
        return !closed && ready.size() < sizing.target();
    }

    /** Takes out what exceeds the target once the large bursts are no longer among the recent ones. */
    private synchronized List<InstanceNetwork.Attachment> surplus() {
        List<InstanceNetwork.Attachment> extra = new ArrayList<>();
        while (ready.size() > sizing.target()) {
            extra.add(ready.pollLast());
        }
        return extra;
    }

    private synchronized boolean offer(InstanceNetwork.Attachment made) {
        if (closed) {
            return false;
        }
        ready.addLast(made);
        return true;
    }

    /** {@code background}: at the lowest CPU priority, so as not to slow down the start that took the last one. */
    private InstanceNetwork.Attachment make(boolean background) {
        byte[] random = new byte[6];
        RANDOM.nextBytes(random);
        String key = KEY_PREFIX + HexFormat.of().formatHex(random).substring(1);
        Path marker = markers.resolve(key);
        try {
            Files.createDirectories(markers);
            Files.createFile(marker);
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to record network attachment " + key + " in " + markers, e);
        }
        try {
            InstanceNetwork.Attachment attachment = network.attach(key, background);
            attachment.whenClosed(() -> deleteQuietly(marker));
            return attachment;
        } catch (RuntimeException e) {
            deleteQuietly(marker);
            throw e;
        }
    }

    /** Removes the spares not taken (waiting for those being made); taken ones go with their instances. */
    @Override
    public void close() {
        List<InstanceNetwork.Attachment> unused;
        synchronized (this) {
            closed = true;
            notifyAll(); // a refill waiting for quiet stops waiting
            while (making) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            unused = new ArrayList<>(ready);
            ready.clear();
        }
        unused.forEach(InstanceNetwork.Attachment::close);
    }

    /** Removes the devices of every attachment an earlier, crashed run recorded in {@code markers}. */
    void reapLeftovers() {
        if (!Files.isDirectory(markers)) {
            return;
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(markers)) {
            files = list.toList();
        } catch (IOException e) {
            return;
        }
        network.reapLeftovers(files.stream().map(f -> f.getFileName().toString()).toList());
        files.forEach(SpareAttachments::deleteQuietly);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Start-up reaping removes it with its devices.
        }
    }
}
