package dev.isola.net;

import java.net.InetAddress;
import java.util.List;

/**
 * One element of a set of Isola's firewall tables: all the firewall state that changes while Isola runs lives in
 * such elements (the rules themselves never change), so restoring a table is its fixed definition plus the elements
 * of the live attachments.
 *
 * @param family the table's family ({@code inet} or {@code bridge})
 * @param set    the set's name in that table
 * @param nft    the element as nft's input syntax writes it ({@code "iv1a2b" . 52:54:0a:c8:01:02})
 * @param listed the element as {@link FirewallListing} reads it from {@code nft -j} (parts joined by {@code " . "})
 */
record FirewallElement(String family, String set, String nft, String listed) {
    FirewallElement {
        if (!nft.matches("[\"a-z0-9:. ]+") || !family.matches("inet|bridge") || !set.matches("[a-z]+")) {
            throw new IllegalArgumentException("not a firewall element: " + family + " " + set + " " + nft);
        }
    }

    /** An address whose traffic may leave the host (a function with {@code egress: true}). */
    static FirewallElement egress(InetAddress address) {
        return single("inet", FirewallRules.EGRESS_SET, address.getHostAddress());
    }

    /** A live VM's address: it may call the readiness relay. */
    static FirewallElement vm(InetAddress address) {
        return single("inet", FirewallRules.VMS_SET, address.getHostAddress());
    }

    /** The port of one Isola run's readiness relay. */
    static FirewallElement relayPort(int port) {
        return single("inet", FirewallRules.RELAYS_SET, Integer.toString(port));
    }

    /** The one MAC that frames entering the bridge from {@code device} may carry. */
    static FirewallElement deviceMac(String device, String mac) {
        return pair(FirewallRules.MACS_SET, device, mac);
    }

    /** The one IPv4 address that packets and ARP entering the bridge from {@code device} may claim. */
    static FirewallElement deviceAddress(String device, InetAddress address) {
        return pair(FirewallRules.ADDRESSES_SET, device, address.getHostAddress());
    }

    /** A bridge port: nothing that arrives on it (rather than through the bridge) reaches the host. */
    static FirewallElement port(String device) {
        return new FirewallElement("inet", FirewallRules.PORTS_SET, "\"" + device + "\"", device);
    }

    /** The elements that tie a bridge port to its instance's MAC and address, and mark it a port. */
    static List<FirewallElement> binding(String device, String mac, InetAddress address) {
        return List.of(deviceMac(device, mac), deviceAddress(device, address), port(device));
    }

    private static FirewallElement single(String family, String set, String value) {
        return new FirewallElement(family, set, value, value);
    }

    private static FirewallElement pair(String set, String device, String value) {
        return new FirewallElement("bridge", set, "\"" + device + "\" . " + value, device + " . " + value);
    }

    /** nft input that adds this element (a no-op when it is there). */
    String add() {
        return "add element " + family + " " + FirewallRules.TABLE + " " + set + " { " + nft + " }\n";
    }

    /** nft input that removes this element whether or not it is there (added first, so the delete cannot fail). */
    String remove() {
        return add() + "delete element " + family + " " + FirewallRules.TABLE + " " + set + " { " + nft + " }\n";
    }
}
