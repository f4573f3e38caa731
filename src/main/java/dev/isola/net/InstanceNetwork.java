package dev.isola.net;

import dev.isola.Ticker;
import dev.isola.host.Command;
import dev.isola.host.NeighbourTable;
import dev.isola.host.ProcessRunner;
import dev.isola.host.Uninterrupted;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Stream;

/**
 * Per-instance networking on the host bridges {@value #BRIDGE}, {@code isola1}, …, one set per platform run and shared
 * by every backend of it, so that one allocator hands out the addresses:
 * <ul>
 *   <li>containers get a network namespace {@code isola-<tag>-<key>} with a veth pair, the host end {@code iv<key>}
 *   on a bridge, the other end {@code eth0} inside. Set up with two {@code ip -batch} runs (about 11 ms instead of
 *   54 ms for ten separate {@code ip} calls). Deleting the namespace deletes both veth ends.</li>
 *   <li>virtual machines get a tap {@code it<key>} on a bridge.</li>
 * </ul>
 * The tag names the state directory ({@link DeviceOwner}), also given to each host device as its alias: so start-up
 * reaping finds what ended runs left even where no record of it is left.
 * A Linux bridge holds {@value #MAX_BRIDGE_PORTS} ports, so attachments fill {@value #BRIDGE} first, then
 * {@code isola1} and so on, each made when the one before is full (up to {@value #MAX_BRIDGES}, as many as the
 * subnet has addresses for). Every bridge has the gateway's address: {@value #BRIDGE} with the subnet's prefix, the
 * others as a /32, so the subnet keeps one connected route; each attachment adds a host route (/32) to its bridge.
 * An instance on any bridge thus reaches the gateway and the relay at the address it always had, and the host sends
 * each instance's packets to its bridge. Instances on two bridges are no closer than on one: separate broadcast
 * domains, and the same firewall.
 * Either way the instance's MAC is derived from its address ({@link #macOf}), the host has a permanent neighbour
 * entry for it and its bridge a static forwarding entry to its port ({@link NeighbourTable#replaceBridgeEntry}): the
 * first packets to a new instance do not wait for ARP, frames to an idle one are never flooded to every port (which
 * lost them on a full bridge), and nothing an instance sends can change where the host sends another's packets. Every host port is an isolated bridge port (no instance-to-instance
 * traffic), and is bound to its MAC and address by the firewall ({@link Firewall}, {@link FirewallRules}), which
 * also drops connections from the bridge to the host, except from live VMs to the {@link ReadyRelay} that carries
 * readiness callbacks. Container attachments usually come ready-made from {@link SpareAttachments}.
 */
public final class InstanceNetwork implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(InstanceNetwork.class.getName());
    public static final String BRIDGE = "isola0";
    /** Every bridge's name but the number: the firewall matches them all as {@code isola*}. */
    static final String BRIDGE_PREFIX = "isola";
    /** Ports of one Linux bridge: numbered in 10 bits, port 0 reserved ({@link #explainFullBridge}). */
    public static final int MAX_BRIDGE_PORTS = 1023;
    /** Bridges at most: 65,472 ports, about the addresses of the /16 {@link #SUBNET}. */
    public static final int MAX_BRIDGES = 64;
    static final String NETNS_PREFIX = "isola-";
    static final String TAP_PREFIX = "it";
    static final String VETH_PREFIX = "iv";
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
    /**
     * Bounded, but not tight: in a burst of 300 container starts on 2 cores every {@code ip} command waits for the
     * kernel's rtnl lock behind the others, and at 10 s 18 of the 300 starts failed with a 502 while the network
     * they were making was merely slow (bench/density.sh). A command truly hung still ends the start in a minute.
     */
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(60);
    /**
     * {@code ip} runs at once at most: the kernel serializes them on its rtnl lock anyway. At 2,800 live containers
     * hundreds ran together (spares being made, instances stopping), each passed the 60 s timeout, and the clean-up
     * of each timed-out one listed every process of the host. A run waiting here costs a parked thread, not a process.
     */
    private static final int IP_AT_ONCE = 4;
    /** Subnet of instances; the bridge takes its first address. */
    public static final String SUBNET = "10.200.0.0/16";
    private static final String SPARE_MARKERS = "spare-networks";
    /** Written while IPv4 forwarding is on because this state directory's Isola turned it on. */
    private static final String FORWARDING_MARKER = "ip-forward-was-off";

    private final AddressAllocator addresses;
    private final ProcessRunner runner;
    private final Ticker ticker;
    private final SpareAttachments spares;
    private final DeviceOwner owner;
    private final Firewall firewall;
    private final IpForwarding forwarding;
    /** Addresses of live VM attachments: the only peers the readiness relay serves. */
    private final Set<InetAddress> liveVms = ConcurrentHashMap.newKeySet();
    private ReadyRelay relay;
    /** Whether this run has attached anything to the bridge (and so may have made it). */
    private boolean usedBridge;
    /** Whether this run has checked the bridge's firewall (made its tables anew, or verified them) yet. */
    private boolean bridgeChecked;
    private final int portsPerBridge;
    /**
     * This run's live attachments on each bridge, by number. Lock-free: stops release ports while starts wait on this
     * network's monitor or on the firewall (a verification of thousands of elements under load takes seconds).
     */
    private final AtomicIntegerArray portsInUse = new AtomicIntegerArray(MAX_BRIDGES);
    /** Held while a bridge beyond the first is made, so that two starts do not both make it. */
    private final Object bridgeMaking = new Object();
    /** 1 for each bridge beyond the first that this run has found or made whole (address, up). */
    private final AtomicIntegerArray bridgesUp = new AtomicIntegerArray(MAX_BRIDGES);
    private final Semaphore ipSlots = new Semaphore(IP_AT_ONCE, true);
    /** Neighbour entries: not by {@code ip neigh}, each run of which costs links × namespaces. */
    private final NeighbourTable neighbours = NeighbourTable.open();
    /** Set once the first bridge, the firewall and the relay are up: the start path then takes no monitor. */
    private volatile boolean bridgeReady;

    private InstanceNetwork(AddressAllocator addresses, ProcessRunner runner, Ticker ticker, Path stateDir,
                            int spareTarget, Duration firewallCheck, List<String> egressPrivateRanges,
                            int portsPerBridge) {
        this.addresses = addresses;
        this.portsPerBridge = portsPerBridge;
        this.runner = runner;
        this.ticker = ticker;
        this.spares = new SpareAttachments(this, stateDir.resolve(SPARE_MARKERS), spareTarget, ticker);
        this.owner = DeviceOwner.of(stateDir);
        this.firewall = new Firewall(runner, ticker, firewallCheck, new FirewallRules.Site(BRIDGE_PREFIX + "*",
                addresses.gateway().getHostAddress(), egressPrivateRanges));
        this.forwarding = new IpForwarding(IP_FORWARD, stateDir.resolve(FORWARDING_MARKER));
    }

    /**
     * The network of the platform run on {@code stateDir}; nothing is made on the host until the first attachment.
     *
     * @param spareTarget   container attachments kept ready once the first is taken (0: none, each start makes its own)
     * @param firewallCheck how often the firewall is verified (and restored if something removed or altered it)
     * @param egressPrivateRanges private ranges that instances with egress may reach (none by default)
     */
    public static InstanceNetwork create(AddressAllocator addresses, ProcessRunner runner, Ticker ticker,
                                         Path stateDir, int spareTarget, Duration firewallCheck,
                                         List<String> egressPrivateRanges) {
        return new InstanceNetwork(addresses, runner, ticker, stateDir, spareTarget, firewallCheck,
                egressPrivateRanges, MAX_BRIDGE_PORTS);
    }

    /** For tests: bridges of {@code portsPerBridge} ports, so that a few attachments fill one. */
    static InstanceNetwork withPortsPerBridge(int portsPerBridge, AddressAllocator addresses, ProcessRunner runner,
                                              Ticker ticker, Path stateDir) {
        return new InstanceNetwork(addresses, runner, ticker, stateDir, 0, Duration.ofHours(1), List.of(),
                portsPerBridge);
    }

    /** The name of bridge {@code number}: {@value #BRIDGE}, {@code isola1}, … */
    static String bridgeName(int number) {
        return BRIDGE_PREFIX + number;
    }

    /** How many times the firewall was found missing or altered and restored, in this run. */
    public long firewallRestores() {
        return firewall.restores();
    }

    /** Firewall removals that failed and wait for a retry at the next verification. */
    int unremovedFirewallElements() {
        return firewall.unremoved();
    }

    /** For tests: verifies the firewall now, as the periodic check does. */
    void verifyFirewall() {
        firewall.verify();
    }

    ProcessRunner runner() {
        return runner;
    }

    /** An instance's place on the bridge; {@link #close()} removes its devices and frees its address. */
    public final class Attachment implements AutoCloseable {
        private final String device;
        private final Optional<String> netns;
        private final InetAddress address;
        private final int bridge;
        /** What this attachment added to the firewall, removed on close. */
        private final List<FirewallElement> elements = new ArrayList<>();
        private boolean closed;
        private Runnable afterClose = () -> { };

        Attachment(String device, Optional<String> netns, InetAddress address, int bridge) {
            this.device = device;
            this.netns = netns;
            this.address = address;
            this.bridge = bridge;
        }

        /**
         * Adds {@code added} to the firewall, to be removed with this attachment: noted first, since an nft that
         * committed and then failed (its deadline on a saturated host) leaves them in the sets though this throws,
         * and an {@code egress} element left there would give the address's next holder egress. Removing one that
         * never went in is harmless.
         */
        synchronized void addToFirewall(List<FirewallElement> added, boolean background) {
            elements.addAll(added);
            firewall.add(added, background);
        }

        /**
         * Lets this instance open connections beyond the host: its address joins the firewall's egress set
         * (forwarded and masqueraded) until {@link #close()}. Needs IPv4 forwarding on the host, which this turns
         * on (once, logged) if it is off, until shutdown.
         */
        public void allowEgress() {
            forwarding.enable();
            addToFirewall(List.of(FirewallElement.egress(address)), false);
        }

        /** Runs {@code action} once this attachment's devices are gone. */
        synchronized void whenClosed(Runnable action) {
            afterClose = action;
        }

        /** The namespace of a container attachment. */
        public String netnsPath() {
            return "/var/run/netns/" + netns.orElseThrow(() -> new IllegalStateException(device + " has no netns"));
        }

        /** The host-side device: the veth end or the tap. */
        public String device() {
            return device;
        }

        public InetAddress address() {
            return address;
        }

        /** The bridge its host device is a port of. */
        public String bridge() {
            return bridgeName(bridge);
        }

        /** A locally administered MAC derived from the address: unique on the bridge as long as the address is. */
        public String mac() {
            return macOf(address);
        }

        byte[] macBytes() {
            byte[] a = address.getAddress();
            return new byte[] {0x52, 0x54, a[0], a[1], a[2], a[3]};
        }

        /** Runs to its end on an interrupted thread too: a start aborted by a drain or shutdown closes it. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            Uninterrupted.run(this::remove);
        }

        private void remove() {
            liveVms.remove(address);
            // Deleting the host end removes a veth pair now; the namespace itself can outlive `netns del` for a
            // moment while the sandbox's last processes exit. The permanent neighbour entry must go by hand.
            String batch = "link del " + device + "\n" + netns.map(n -> "netns del " + n + "\n").orElse("")
                    + "route del " + address.getHostAddress() + "/32 dev " + bridge() + "\n";
            ipQuietly(Command.of("ip", "-force", "-batch", "-").withStdin(batch));
            forgetNeighbour(bridge(), address);
            // The address is free again only once its elements are gone: a successor must neither lose its own
            // elements to this removal nor find this instance's (its egress) still there.
            firewall.remove(elements, () -> addresses.release(address));
            releaseBridgePort(bridge);
            afterClose.run();
        }
    }

    /** A locally administered MAC derived from an address of the subnet. */
    static String macOf(InetAddress address) {
        byte[] a = address.getAddress();
        return String.format("52:54:%02x:%02x:%02x:%02x", a[0] & 0xff, a[1] & 0xff, a[2] & 0xff, a[3] & 0xff);
    }

    /**
     * Creates the bridge, its firewall tables and the readiness relay if this host does not have them yet, and
     * starts verifying the firewall. The bridge gets a fixed MAC (derived from its address): without one, Linux
     * gives a bridge the lowest MAC of its ports, which changes as instances come and go, and every instance that
     * had cached the old one for its gateway sent its replies into the void until its ARP entry expired — single
     * requests stalled for 13, 51 or 102 s (TCP's retransmission totals) in bursts of cold starts. A bridge found
     * already there (another Isola's, or a crashed run's) gets its firewall verified now; if no instance of any Isola
     * is on it (a crashed run's), its tables are made anew: a crashed run's elements stay in them, and one left in
     * {@code egress} would give egress to the next instance that gets its address, whatever its manifest says.
     */
    public void ensureBridge() {
        if (!bridgeReady || !Files.exists(Path.of("/sys/class/net", BRIDGE))) {
            ensureBridgeLocked();
        }
    }

    private synchronized void ensureBridgeLocked() {
        owner.claim(); // before the first device: another Isola's reaping leaves a claimed tag's devices alone
        // Not usedBridge: reaping a crashed run's devices sets that before any bridge is checked, and the check
        // (tables made anew, the crashed run's elements gone) was skipped in exactly that case.
        boolean first = !bridgeChecked;
        bridgeChecked = true;
        usedBridge = true;
        if (!Files.exists(Path.of("/sys/class/net", BRIDGE))) {
            makeBridge(BRIDGE, "/" + addresses.prefixLength());
            closeRelay();
            firewall.install();
        } else if (first && !hasPorts(BRIDGE)) {
            firewall.install(); // another Isola's relay port, if it has one, comes back with its next verification
        } else if (first) {
            firewall.verify();
        }
        if (relay == null) {
            relay = ReadyRelay.open(addresses.gateway(), liveVms::contains, ReadyRelay.DEADLINE, ticker);
            firewall.add(List.of(FirewallElement.relayPort(relay.port())), false);
        }
        firewall.startVerifying();
        bridgeReady = true;
    }

    /**
     * The URL an instance on the bridge calls instead of {@code readyUrl} (which lives on the host's loopback,
     * out of its reach); valid until {@link #forgetReadyUrl}.
     */
    public synchronized URI exposeReadyUrl(URI readyUrl) {
        ensureBridge();
        return relay.expose(readyUrl);
    }

    public synchronized void forgetReadyUrl(URI readyUrl) {
        if (relay != null) {
            relay.forget(readyUrl);
        }
    }

    /** A container attachment: a spare made ahead of need when there is one, else one made now. */
    public Attachment attachContainer() {
        ensureBridge();
        firewall.ensureVerified();
        return spares.take();
    }

    /** The network namespace of the container attachment {@code key}. */
    String netnsName(String key) {
        return owner.netns(key);
    }

    /** A container attachment made now. {@code key}: short, unique among live ones, [a-z0-9] (at most 12 chars). */
    public Attachment attach(String key) {
        return attach(key, false);
    }

    private void ip(Command command) {
        try {
            ipSlots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetworkException("interrupted while waiting to run ip", e);
        }
        try {
            runner.run(command.withTimeout(IP_TIMEOUT));
        } finally {
            ipSlots.release();
        }
    }

    /** A clean-up's {@code ip}: it waits its turn whatever happens, and its failures are logged, not thrown. */
    private void ipQuietly(Command command) {
        ipSlots.acquireUninterruptibly();
        try {
            runner.quietly(command.withTimeout(IP_TIMEOUT));
        } finally {
            ipSlots.release();
        }
    }

    /** {@code background}: runs the tools at the lowest CPU priority (nice 19), for attachments made ahead of need. */
    Attachment attach(String key, boolean background) {
        ensureBridge();
        String netns = netnsName(key);
        String host = VETH_PREFIX + key;
        Attachment attachment = newAttachment(host, Optional.of(netns));
        try {
            ip(priority(background, Command.of("ip", "-batch", "-").withStdin("netns add " + netns + "\n"
                    // The peer is born inside the namespace: moving it there afterwards costs about 20 ms
                    // (the kernel waits for an RCU grace period), creating it there about 2 ms.
                    + "link add " + host + " type veth peer name eth0 address " + attachment.mac() + " netns "
                    + netns + "\n"
                    + "link set " + host + " master " + attachment.bridge() + " alias " + owner.alias() + "\n"
                    + "link set dev " + host + " type bridge_slave isolated on\n"
                    + "link set " + host + " up\n"
                    + hostRoute(attachment))));
            neighbours.replacePermanent(attachment.bridge(), attachment.address(), attachment.macBytes());
            neighbours.replaceBridgeEntry(host, attachment.macBytes());
            ip(priority(background, Command.of("ip", "-n", netns, "-batch", "-").withStdin("addr add "
                    + attachment.address().getHostAddress() + "/" + addresses.prefixLength() + " dev eth0\n"
                    + "link set eth0 up\nlink set lo up\n"
                    + "route add default via " + addresses.gateway().getHostAddress() + "\n"
                    + gatewayNeighbour())));
            attachment.addToFirewall(FirewallElement.binding(host, attachment.mac(), attachment.address()),
                    background);
            return attachment;
        } catch (RuntimeException e) {
            attachment.close();
            throw explainFullBridge(e, attachment.bridge());
        }
    }

    /**
     * A Linux bridge numbers its ports in 10 bits ({@code BR_MAX_PORTS}, net/bridge/br_private.h): past 1,023 ports
     * {@code ip link set … master} fails with "Exchange full". This run moves on to the next bridge before that, so
     * it happens only where another Isola on this host shares the bridge; said in the operator's terms.
     */
    static RuntimeException explainFullBridge(RuntimeException e, String bridge) {
        return e.getMessage() != null && e.getMessage().contains("Exchange full")
                ? new NetworkException("bridge " + bridge + " is full: a Linux bridge holds at most " + MAX_BRIDGE_PORTS
                + " ports, and another Isola on this host holds some of them (" + e.getMessage() + ")", e)
                : e;
    }

    private static Command priority(boolean background, Command command) {
        return background ? command.niced() : command;
    }

    /**
     * The host's way to an instance: a route to its bridge, and then a permanent neighbour entry (the host never
     * asks, by ARP, where an instance is, so nobody can answer falsely). Both replace what a reused address may still
     * map to: the previous instance's, whose run may have crashed.
     */
    private static String hostRoute(Attachment attachment) {
        return "route replace " + attachment.address().getHostAddress() + "/32 dev " + attachment.bridge() + "\n";
    }

    /**
     * The container's way to the gateway: a permanent neighbour entry for it (every bridge has the gateway's MAC),
     * never learnt by ARP. The kernel keeps one ARP table for all network namespaces, and past its
     * {@code gc_thresh3} (1,024 by default) of entries that may be collected it refuses new ones ("neighbor table
     * overflow"): at thousands of containers, one that had been idle for a minute lost its entry, could not make it
     * again, and held its answer unsent while the call waited for its timeout (bench/density.sh at 5,000: 390
     * calls). Permanent entries are not counted against that limit, and none is ever re-learnt.
     */
    private String gatewayNeighbour() {
        return "neigh replace " + addresses.gateway().getHostAddress() + " lladdr " + macOf(addresses.gateway())
                + " nud permanent dev eth0\n";
    }

    /** An attachment with an address and a port on the first bridge with one free, its devices still to make. */
    private Attachment newAttachment(String device, Optional<String> netns) {
        int bridge = takeBridgePort();
        try {
            return new Attachment(device, netns, addresses.allocate(), bridge);
        } catch (RuntimeException e) {
            releaseBridgePort(bridge);
            throw e;
        }
    }

    /** The first bridge with a port free for this run, made if it is not there yet. */
    private int takeBridgePort() {
        for (int number = 0; number < MAX_BRIDGES; number++) {
            for (int used = portsInUse.get(number); used < portsPerBridge; used = portsInUse.get(number)) {
                if (portsInUse.compareAndSet(number, used, used + 1)) {
                    try {
                        ensureExtraBridge(number);
                    } catch (RuntimeException e) {
                        releaseBridgePort(number);
                        throw e;
                    }
                    return number;
                }
            }
        }
        throw new NetworkException("all " + MAX_BRIDGES + " bridges are full: " + MAX_BRIDGES * portsPerBridge
                + " live containers and VMs with a network are the most one host holds");
    }

    /**
     * Makes bridge {@code number} unless this run already has it up. Not by looking for its device: that appears
     * with the batch's first line, before the bridge has its address or is up, and a start that attached to it then
     * failed with "Device for nexthop is not up" for its host route.
     */
    private void ensureExtraBridge(int number) {
        if (number == 0 || bridgesUp.get(number) == 1) {
            return;
        }
        synchronized (bridgeMaking) {
            if (bridgesUp.get(number) == 0) {
                if (!Files.exists(Path.of("/sys/class/net", bridgeName(number)))) {
                    makeBridge(bridgeName(number), "/32");
                }
                bridgesUp.set(number, 1);
            }
        }
    }

    private void releaseBridgePort(int bridge) {
        portsInUse.decrementAndGet(bridge);
    }

    /**
     * A bridge with the gateway's address ({@code prefix}: the subnet's for the first, {@code /32} for the others)
     * and a fixed MAC (see {@link #ensureBridge}).
     */
    private void makeBridge(String name, String prefix) {
        // Not behind the ip slots: at thousands of containers a burst queues a thousand runs there, and every start
        // that needs this bridge waits for it (bench/density.sh paused for three minutes at 3,064). At most 64 runs
        // in a platform's life; the kernel serializes it with the others on its rtnl lock anyway.
        runner.run(Command.of("ip", "-batch", "-").withTimeout(IP_TIMEOUT).withStdin("link add " + name
                + " address " + macOf(addresses.gateway()) + " type bridge\n"
                + "addr add " + addresses.gateway().getHostAddress() + prefix + " dev " + name + "\n"
                + "link set " + name + " up\n"));
    }

    /**
     * A virtual-machine attachment: tap {@code it<key>} on the bridge; the guest configures its own address (and
     * QEMU gives it {@link Attachment#mac()}).
     */
    public Attachment attachTap(String key) {
        ensureBridge();
        firewall.ensureVerified();
        String tap = TAP_PREFIX + key;
        Attachment attachment = newAttachment(tap, Optional.empty());
        InetAddress address = attachment.address();
        try {
            ip(Command.of("ip", "-batch", "-").withStdin("tuntap add dev " + tap + " mode tap\n"
                    + "link set " + tap + " master " + attachment.bridge() + " alias " + owner.alias() + "\n"
                    + "link set dev " + tap + " type bridge_slave isolated on\n"
                    + "link set " + tap + " up\n"
                    + hostRoute(attachment)));
            neighbours.replacePermanent(attachment.bridge(), attachment.address(), attachment.macBytes());
            neighbours.replaceBridgeEntry(tap, attachment.macBytes());
            List<FirewallElement> elements = new ArrayList<>(FirewallElement.binding(tap, attachment.mac(), address));
            elements.add(FirewallElement.vm(address));
            attachment.addToFirewall(elements, false);
            liveVms.add(address);
            return attachment;
        } catch (RuntimeException e) {
            attachment.close();
            throw explainFullBridge(e, attachment.bridge());
        }
    }

    public InetAddress gateway() {
        return addresses.gateway();
    }

    public int prefixLength() {
        return addresses.prefixLength();
    }

    /**
     * Deletes the spare attachments an earlier, crashed run on this state directory recorded, and every device tagged
     * as this state directory's or a run's that is gone ({@link DeviceOwner}). Once, at start-up, before the first
     * attachment.
     */
    public void reapLeftovers() {
        spares.reapLeftovers();
        owner.claim();
        owner.reapLeftovers(batch -> {
            synchronized (this) {
                usedBridge = true; // a run on this state directory had instances: the bridge is this one's to remove
            }
            ipQuietly(Command.of("ip", "-force", "-batch", "-").withStdin(batch));
        });
    }

    /**
     * Runs {@code reap} if {@code stateDir} no longer exists and no live run claims it: a state directory deleted
     * after its server was killed (a benchmark's temporary one) has no run of its own to reap what it left. The claim
     * is held while {@code reap} runs. Whether it ran.
     */
    public boolean whileAbandoned(Path stateDir, Runnable reap) {
        return !Files.exists(stateDir) && owner.whileUnclaimed(DeviceOwner.tagOf(stateDir), reap);
    }

    /**
     * Deletes the namespaces and taps of the given instance keys: those an earlier, crashed run of this state
     * directory left (named as this version names them, or as earlier versions did). Scoped by key so that another
     * Isola on this host keeps its instances' devices.
     */
    public void reapLeftovers(Collection<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        synchronized (this) {
            usedBridge = true; // a run on this state directory had instances: the bridge is this one's to remove
        }
        StringBuilder batch = new StringBuilder();
        for (String key : keys) {
            for (String netns : List.of(netnsName(key), NETNS_PREFIX + key)) {
                if (Files.exists(DeviceOwner.NETNS_DIR.resolve(netns))) {
                    batch.append("netns del ").append(netns).append('\n');
                }
            }
            if (Files.exists(Path.of("/sys/class/net", TAP_PREFIX + key))) {
                batch.append("link del ").append(TAP_PREFIX).append(key).append('\n');
            }
        }
        if (!batch.isEmpty()) {
            ipQuietly(Command.of("ip", "-force", "-batch", "-").withStdin(batch.toString()));
        }
    }

    /** The device key of an instance id ({@code <function>.<hex>}): its random part. */
    public static String key(String instanceId) {
        return instanceId.substring(instanceId.lastIndexOf('.') + 1);
    }

    /**
     * At shutdown, when this platform's instances are gone: removes the spares, stops verifying the firewall, closes
     * the relay, and — unless another Isola on this host still has instances on the bridge — removes the bridge and
     * the firewall tables and turns IPv4 forwarding off again if Isola turned it on; gives up its address and
     * device-tag claims.
     */
    @Override
    public void close() {
        spares.close();
        firewall.close();
        removeBridge();
        neighbours.close();
        addresses.close();
        owner.close();
    }

    /** Never throws: a stop must go on whatever the table says. */
    private void forgetNeighbour(String bridge, InetAddress address) {
        try {
            neighbours.delete(bridge, address);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not remove the neighbour entry of " + address.getHostAddress()
                    + " on " + bridge + ": " + e.getMessage());
        }
    }

    private synchronized void removeBridge() {
        closeRelay();
        if (!usedBridge) {
            return; // made by another Isola on this host, or never made: not this run's to remove
        }
        boolean kept = false;
        for (int number = MAX_BRIDGES - 1; number >= 0; number--) {
            String bridge = bridgeName(number);
            if (Files.exists(Path.of("/sys/class/net", bridge))) {
                if (hasPorts(bridge)) {
                    kept = true;
                } else {
                    runner.quietly(List.of("ip", "link", "del", bridge));
                }
            }
        }
        if (!kept) {
            firewall.delete();
            forwarding.restore();
        }
    }

    /** Whether {@code bridge} has a port (or cannot be read: then it is left alone). */
    private static boolean hasPorts(String bridge) {
        Path ports = Path.of("/sys/class/net", bridge, "brif");
        try (Stream<Path> attached = Files.exists(ports) ? Files.list(ports) : Stream.empty()) {
            return attached.findAny().isPresent();
        } catch (IOException e) {
            return true;
        }
    }

    private void closeRelay() {
        bridgeReady = false;
        if (relay != null) {
            relay.close();
            firewall.remove(List.of(FirewallElement.relayPort(relay.port())));
            relay = null;
        }
    }
}
