package dev.isola.net;

import dev.isola.Ticker;
import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.HostException;
import dev.isola.host.ProcessRunner;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps Isola's firewall ({@link FirewallRules}) in place while Isola serves. Anyone with root can remove it — Debian's
 * nftables service runs {@code nft flush ruleset} on reload — and then instances reach every host port and each
 * other's MACs. So the tables are verified every {@code interval} by one virtual thread, and restored when missing
 * or altered, with a WARNING and a count ({@link #restores()}).
 *
 * <p>Verification lists both tables ({@code nft -j list table}, two runs of nft, a few ms) and compares them with a
 * reference: what this nft prints for {@link FirewallRules}' definitions installed in an empty network namespace
 * (computed once). The fixed part must be equal; the sets must hold every element this run added and has not
 * removed ({@link #add}, {@link #remove}); other elements (another Isola's on this host) are left alone. A table
 * whose fixed part differs is replaced, with this run's elements; missing elements are added back. Removals that
 * failed are retried then.
 *
 * <p>The start path ({@link #ensureVerified}) costs one volatile read and a clock read: it verifies on the spot only
 * when the last successful verification is older than two intervals (the periodic one failed or is stuck), and fails
 * the start when the firewall cannot be restored. Between checks, any attachment's own nft run fails atomically
 * when a table or set is gone, and that too restores the firewall before the attachment is retried.
 *
 * <p>Races: attachments add and remove elements under a shared lock, concurrently; a restore takes the lock
 * exclusively, so it sees a stable set of this run's elements and never re-adds one an attachment just removed.
 */
final class Firewall implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Firewall.class.getName());
    private static final Duration NFT_TIMEOUT = Duration.ofSeconds(10);
    /** A listing of large sets (thousands of instances) is a few hundred KiB of JSON. */
    private static final int LISTING_LIMIT = 64 << 20;
    /**
     * nft prints a set of thousands of elements slowly: 1.5 s at 5,000 on 2 busy cores, and more than 10 s while a
     * burst of starts saturates them (bench/density.sh), where a 10 s deadline failed every verification.
     */
    private static final Duration LISTING_TIMEOUT = Duration.ofSeconds(60);

    private final ProcessRunner runner;
    private final Ticker ticker;
    private final Duration interval;
    private final FirewallRules.Site site;
    private final Set<FirewallElement> ours = ConcurrentHashMap.newKeySet();
    private final Queue<Removal> unremoved = new ConcurrentLinkedQueue<>();
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicLong restores = new AtomicLong();
    private Map<FirewallRules.Table, FirewallListing> reference;
    private volatile long verifiedAt;
    private volatile boolean verified;
    private volatile Thread verifier;
    private volatile boolean closed;

    Firewall(ProcessRunner runner, Ticker ticker, Duration interval, FirewallRules.Site site) {
        this.runner = runner;
        this.ticker = ticker;
        this.interval = interval;
        this.site = site;
    }

    /** Replaces both tables with their definitions (and this run's elements): for a bridge just made. */
    void install() {
        lock.writeLock().lock();
        try {
            replace(EnumSet.allOf(FirewallRules.Table.class));
            markVerified();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Starts the periodic verification, once. Called on every start path: once it runs, it returns without the
     * monitor, which a verification on the start path ({@link #verifyIfStale}) may hold for a while.
     */
    void startVerifying() {
        if (verifier != null || closed) {
            return;
        }
        synchronized (this) {
            if (verifier == null && !closed) {
                verifier = Thread.ofVirtual().name("isola-firewall").start(this::verifyPeriodically);
            }
        }
    }

    /** Before an instance starts: nothing to do when the firewall was verified recently, else verifies it now. */
    void ensureVerified() {
        if (!verified || ticker.nanos() - verifiedAt > 2 * interval.toNanos()) {
            verifyIfStale();
        }
    }

    private synchronized void verifyIfStale() {
        if (!verified || ticker.nanos() - verifiedAt > 2 * interval.toNanos()) {
            verify();
        }
    }

    /** Adds {@code elements} to the firewall; restores the firewall first when a table or set of theirs is gone. */
    void add(Collection<FirewallElement> elements, boolean background) {
        try {
            addNow(elements, background);
        } catch (HostException e) {
            verify(); // a table or set is gone (or altered): restore it, then try once more
            addNow(elements, background);
        }
    }

    private void addNow(Collection<FirewallElement> elements, boolean background) {
        StringBuilder batch = new StringBuilder();
        elements.forEach(e -> batch.append(e.add()));
        Command command = Command.of("nft", "-f", "-").withStdin(batch.toString()).withTimeout(NFT_TIMEOUT);
        lock.readLock().lock();
        try {
            runner.run(background ? command.niced() : command);
            ours.addAll(elements);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Removes {@code elements}; never throws. */
    void remove(Collection<FirewallElement> elements) {
        remove(elements, () -> { });
    }

    /**
     * Removes {@code elements}, then runs {@code whenGone} (which frees what they name, an instance's address); never
     * throws. When nft fails (its deadline on a saturated host, say), the elements may still be in the sets: one in
     * {@code egress} would give the address's next holder egress whatever its manifest says. So the removal is
     * retried at each verification, and {@code whenGone} waits for its success.
     */
    void remove(Collection<FirewallElement> elements, Runnable whenGone) {
        if (elements.isEmpty()) {
            whenGone.run();
            return;
        }
        Removal removal = new Removal(List.copyOf(elements), whenGone);
        lock.readLock().lock();
        try {
            ours.removeAll(elements);
            String failure = removeNow(removal);
            if (failure != null) {
                unremoved.add(removal);
                LOG.log(System.Logger.Level.WARNING, "net: failed to remove " + elements.size() + " firewall "
                        + "element(s), retried at the next verification (what they name stays out of use until "
                        + "then): " + failure);
                return;
            }
        } finally {
            lock.readLock().unlock();
        }
        whenGone.run();
    }

    /** Retries the removals that failed; each one's {@code whenGone} runs once it succeeds. */
    private void retryRemovals() {
        for (Removal removal : unremoved) {
            String failure;
            lock.readLock().lock();
            try {
                failure = removeNow(removal);
            } finally {
                lock.readLock().unlock();
            }
            if (failure == null && unremoved.remove(removal)) {
                removal.whenGone().run();
            }
        }
    }

    /** Null when nft removed the elements (or they were not there), else why it failed. */
    private String removeNow(Removal removal) {
        StringBuilder batch = new StringBuilder();
        removal.elements().forEach(e -> batch.append(e.remove()));
        try {
            runner.run(Command.of("nft", "-f", "-").withStdin(batch.toString()).withTimeout(NFT_TIMEOUT));
            return null;
        } catch (HostException e) {
            return e.getMessage();
        }
    }

    /** Removals nft failed, waiting for a retry. */
    int unremoved() {
        return unremoved.size();
    }

    private record Removal(List<FirewallElement> elements, Runnable whenGone) {
    }

    /** How many times the firewall was found missing or altered and restored. */
    long restores() {
        return restores.get();
    }

    /**
     * Compares the tables with the reference and this run's elements, and restores what differs. Throws when nft
     * cannot list or restore them.
     */
    void verify() {
        verifyTables();
        retryRemovals(); // after a restore: a removal that failed for want of its table now finds one
    }

    private void verifyTables() {
        Map<FirewallRules.Table, FirewallListing> expected = reference();
        Set<FirewallElement> before = Set.copyOf(ours);
        if (drift(expected, list(), before).isEmpty()) {
            markVerified();
            return;
        }
        lock.writeLock().lock(); // attachments wait: the elements to restore must not change meanwhile
        try {
            if (closed) {
                return;
            }
            Map<FirewallRules.Table, FirewallListing> now = list();
            List<String> drift = drift(expected, now, ours);
            if (!drift.isEmpty()) {
                EnumSet<FirewallRules.Table> broken = EnumSet.noneOf(FirewallRules.Table.class);
                expected.forEach((table, listing) -> {
                    FirewallListing seen = now.get(table);
                    if (seen == null || !seen.structure().equals(listing.structure())) {
                        broken.add(table);
                    }
                });
                replace(broken, now);
                restores.incrementAndGet();
                LOG.log(System.Logger.Level.WARNING, "net: firewall " + String.join("; ", drift) + ": restored "
                        + "(something outside Isola changed the ruleset, such as `nft flush ruleset`)");
            }
            markVerified();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** What differs between the listing and the reference with {@code elements}, in words; empty when nothing. */
    private static List<String> drift(Map<FirewallRules.Table, FirewallListing> expected,
                                      Map<FirewallRules.Table, FirewallListing> seen,
                                      Set<FirewallElement> elements) {
        List<String> drift = new ArrayList<>();
        expected.forEach((table, listing) -> {
            FirewallListing now = seen.get(table);
            if (now == null) {
                drift.add("table " + table.family + " " + FirewallRules.TABLE + " missing");
            } else if (!now.structure().equals(listing.structure())) {
                drift.add("table " + table.family + " " + FirewallRules.TABLE + " altered");
            } else {
                long missing = elements.stream().filter(e -> e.family().equals(table.family) && !now.has(e)).count();
                if (missing > 0) {
                    drift.add(missing + " element(s) of table " + table.family + " " + FirewallRules.TABLE
                            + " missing");
                }
            }
        });
        return drift;
    }

    /** Replaces the {@code tables} and adds back this run's elements (all of them: adding is idempotent). */
    private void replace(Set<FirewallRules.Table> tables) {
        replace(tables, Map.of());
    }

    private void replace(Set<FirewallRules.Table> tables, Map<FirewallRules.Table, FirewallListing> seen) {
        StringBuilder batch = new StringBuilder();
        tables.forEach(t -> batch.append(t.replace(site)));
        for (FirewallElement e : ours) {
            FirewallListing kept = seen.get(FirewallRules.Table.of(e.family()));
            if (tables.contains(FirewallRules.Table.of(e.family())) || kept == null || !kept.has(e)) {
                batch.append(e.add());
            }
        }
        runner.run(Command.of("nft", "-f", "-").withStdin(batch.toString()).withTimeout(NFT_TIMEOUT));
    }

    /** Both tables as they are now; a missing one is absent from the map. */
    private Map<FirewallRules.Table, FirewallListing> list() {
        StringBuilder json = new StringBuilder();
        for (FirewallRules.Table table : FirewallRules.Table.values()) {
            CommandResult r = runner.result(Command.of("nft", "-j", "list", "table", table.family,
                    FirewallRules.TABLE).withTimeout(LISTING_TIMEOUT).withOutputLimit(LISTING_LIMIT));
            if (r.succeeded()) {
                json.append(r.output()).append('\n');
            } else if (r.timedOut()) {
                throw new NetworkException("Failed to list the firewall table " + table.family + " "
                        + FirewallRules.TABLE + ": no answer within " + LISTING_TIMEOUT.toSeconds() + " s");
            } else if (!r.output().contains("No such file or directory")) {
                throw new NetworkException("Failed to list the firewall table " + table.family + " "
                        + FirewallRules.TABLE + ": exit status " + r.exitCode() + ": " + r.output());
            }
        }
        return FirewallListing.parseAll(json.toString());
    }

    /**
     * What this nft prints for the definitions, installed in a network namespace of their own (each has its own
     * ruleset, empty at first): the listing of an intact firewall on this host, whatever nft's version prints.
     */
    private synchronized Map<FirewallRules.Table, FirewallListing> reference() {
        if (reference == null) {
            StringBuilder definitions = new StringBuilder();
            for (FirewallRules.Table table : FirewallRules.Table.values()) {
                definitions.append(table.definition(site));
            }
            String json = runner.run(Command.of("unshare", "--net", "sh", "-c", "nft -f - && nft -j list table inet "
                    + FirewallRules.TABLE + " && nft -j list table bridge " + FirewallRules.TABLE)
                    .withStdin(definitions.toString()).withTimeout(NFT_TIMEOUT));
            Map<FirewallRules.Table, FirewallListing> parsed = new EnumMap<>(FirewallListing.parseAll(json));
            if (parsed.size() != FirewallRules.Table.values().length) {
                throw new NetworkException("Failed to read the firewall's reference listing: " + json);
            }
            reference = parsed;
        }
        return reference;
    }

    /** Records a successful verification now (and, for the benchmark of {@link #ensureVerified}, without one). */
    void markVerified() {
        verifiedAt = ticker.nanos();
        verified = true;
    }

    private void verifyPeriodically() {
        while (!closed) {
            synchronized (this) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, interval.toNanos());
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (closed) {
                return;
            }
            try {
                verify();
            } catch (RuntimeException e) {
                verified = false; // the next start verifies for itself, and fails if it cannot
                LOG.log(System.Logger.Level.WARNING, "net: failed to verify the firewall: " + e.getMessage());
            }
        }
    }

    /** Stops verifying (a restore under way finishes first); the tables stay. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        lock.writeLock().lock();
        lock.writeLock().unlock();
    }

    /** Deletes both tables, whoever's elements they hold: at shutdown, once the bridge has no port left. */
    void delete() {
        for (FirewallRules.Table table : FirewallRules.Table.values()) {
            runner.quietly(Command.of("nft", "delete", "table", table.family, FirewallRules.TABLE));
        }
    }
}
