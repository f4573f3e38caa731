package dev.isola.net;

import java.util.List;

/**
 * The fixed part of Isola's firewall: two nftables tables whose rules never change while Isola runs. What changes
 * (which addresses have egress, which ports have which MAC and address, which relay ports and VMs exist) lives in
 * the tables' sets as {@link FirewallElement}s.
 *
 * <p>{@code inet isola}: instances may answer the host but not start anything towards it — packets arriving from the
 * bridge are dropped unless they belong to a connection the host opened (the gateway's), or go from a live VM to a
 * readiness relay. That keeps the admin API, the gateway and every other host port out of reach. Routed traffic goes
 * out only from addresses in {@code egress}, and comes back only as its replies. Instance-to-instance traffic never
 * reaches this table (it is bridged): the host ports are isolated bridge ports for that.
 *
 * <p>{@code bridge isola}: a frame entering the bridge from an instance's port ({@code iv<key>}, {@code it<key>}) must
 * carry that port's MAC, and an IPv4 packet or ARP message that port's address; nothing but IPv4 and ARP passes.
 * So an instance cannot take another's MAC (the bridge would learn it on the wrong port and send it the other's
 * traffic) nor speak to the host with another's address (the relay admits VMs by address). The chain runs before the
 * bridge learns, so a dropped frame teaches it nothing. Ports of other bridges named {@code iv*} or {@code it*}
 * would be filtered too: this kernel family cannot match the bridge by name ({@code meta ibrname} needs
 * {@code CONFIG_NFT_BRIDGE_META}, which not every kernel has). Each drop rule counts what it drops.
 */
final class FirewallRules {
    static final String TABLE = "isola";
    static final String EGRESS_SET = "egress";
    static final String VMS_SET = "vms";
    static final String RELAYS_SET = "relays";
    static final String PORTS_SET = "ports";
    static final String MACS_SET = "macs";
    static final String ADDRESSES_SET = "addrs";

    private FirewallRules() {
    }

    /**
     * Where the firewall stands: the bridge, its own address, and the private ranges egress may reach all the same.
     * Everything else private is out of egress' reach: the LAN, the cloud's metadata service (169.254.169.254),
     * shared and benchmark ranges, multicast, and the host's own loopback.
     */
    record Site(String bridge, String gateway, List<String> egressPrivateRanges) {
        Site {
            egressPrivateRanges = List.copyOf(egressPrivateRanges);
        }
    }

    static final List<String> PRIVATE_RANGES = List.of("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
            "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4",
            "240.0.0.0/4");

    /** A table of Isola's firewall. */
    enum Table {
        INET("inet"), BRIDGE("bridge");

        final String family;

        Table(String family) {
            this.family = family;
        }

        static Table of(String family) {
            return family.equals("inet") ? INET : BRIDGE;
        }

        /** nft input that defines this table at {@code site}. */
        String definition(Site site) {
            String bridge = site.bridge();
            String gateway = site.gateway();
            String outward = "    iifname \"" + bridge + "\" oifname != \"" + bridge + "\" ip saddr @" + EGRESS_SET;
            String allowedPrivate = site.egressPrivateRanges().isEmpty() ? ""
                    : outward + " ip daddr { " + String.join(", ", site.egressPrivateRanges()) + " } accept\n";
            // Frames to the IEEE link-local groups (01:80:c2:00:00:0X) skip the bridge's prerouting: the bridge hands
            // them to the host as received on the port itself, where the rules on the bridge's name do not apply.
            // Nothing of an instance's reaches the host but through the bridge. By the ports' names as bound (set
            // ports), not by prefix: the host's other interfaces may begin as they like.
            String fromPorts = "    iifname @" + PORTS_SET + " drop\n";
            return switch (this) {
                case INET -> "table inet " + TABLE + " {\n"
                        + "  set " + EGRESS_SET + " { type ipv4_addr; }\n"
                        + "  set " + VMS_SET + " { type ipv4_addr; }\n"
                        + "  set " + RELAYS_SET + " { type inet_service; }\n"
                        + "  set " + PORTS_SET + " { type ifname; }\n"
                        + "  chain input {\n"
                        + "    type filter hook input priority 0; policy accept;\n"
                        + fromPorts
                        + "    iifname \"" + bridge + "\" ct state established,related accept\n"
                        + "    iifname \"" + bridge + "\" ip saddr @" + VMS_SET + " ip daddr " + gateway
                        + " tcp dport @" + RELAYS_SET + " accept\n"
                        + "    iifname \"" + bridge + "\" drop\n"
                        + "  }\n"
                        + "  chain forward {\n"
                        + "    type filter hook forward priority 0; policy accept;\n"
                        + fromPorts
                        + allowedPrivate
                        + "    iifname \"" + bridge + "\" ip daddr { " + String.join(", ", PRIVATE_RANGES)
                        + " } drop\n"
                        + outward + " accept\n"
                        + "    oifname \"" + bridge + "\" ct state established,related accept\n"
                        + "    iifname \"" + bridge + "\" drop\n"
                        + "    oifname \"" + bridge + "\" drop\n"
                        + "  }\n"
                        + "  chain postrouting {\n"
                        + "    type nat hook postrouting priority 100; policy accept;\n"
                        + "    ip saddr @" + EGRESS_SET + " oifname != \"" + bridge + "\" masquerade\n"
                        + "  }\n"
                        + "}\n";
                case BRIDGE -> "table bridge " + TABLE + " {\n"
                        + "  set " + MACS_SET + " { type ifname . ether_addr; }\n"
                        + "  set " + ADDRESSES_SET + " { type ifname . ipv4_addr; }\n"
                        + "  chain prerouting {\n"
                        + "    type filter hook prerouting priority filter; policy accept;\n"
                        + "    iifname \"" + InstanceNetwork.VETH_PREFIX + "*\" jump port\n"
                        + "    iifname \"" + InstanceNetwork.TAP_PREFIX + "*\" jump port\n"
                        + "  }\n"
                        // The link-local groups' way to the host (see the inet table): the same checks.
                        + "  chain input {\n"
                        + "    type filter hook input priority filter; policy accept;\n"
                        + "    iifname \"" + InstanceNetwork.VETH_PREFIX + "*\" jump port\n"
                        + "    iifname \"" + InstanceNetwork.TAP_PREFIX + "*\" jump port\n"
                        + "  }\n"
                        + "  chain port {\n"
                        + "    iifname . ether saddr != @" + MACS_SET + " counter drop\n"
                        + "    ether type arp iifname . arp saddr ether != @" + MACS_SET + " counter drop\n"
                        + "    ether type arp iifname . arp saddr ip != @" + ADDRESSES_SET + " counter drop\n"
                        + "    ether type ip iifname . ip saddr != @" + ADDRESSES_SET + " counter drop\n"
                        + "    ether type != { ip, arp } counter drop\n"
                        + "  }\n"
                        + "}\n";
            };
        }

        /** nft input that replaces this table (whether or not it exists) with its definition. */
        String replace(Site site) {
            return "table " + family + " " + TABLE + "\ndelete table " + family + " " + TABLE + "\n"
                    + definition(site);
        }
    }
}
