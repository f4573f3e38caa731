package dev.isola.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One table as {@code nft -j list table} shows it, split into what never changes (tables, sets without their
 * elements, chains, rules; without handles and counter values) and the sets' elements. Two listings of an intact
 * table have equal {@link #structure()}s whatever instances come and go; the elements are compared one by one.
 */
record FirewallListing(List<JsonNode> structure, Map<String, Set<String>> elements) {
    private static final ObjectMapper JSON = new ObjectMapper();

    FirewallListing {
        structure = List.copyOf(structure);
        elements = Map.copyOf(elements);
    }

    /** Every table listed in {@code json} (one or more {@code nft -j} documents), by family. */
    static Map<FirewallRules.Table, FirewallListing> parseAll(String json) {
        Map<FirewallRules.Table, List<JsonNode>> structures = new HashMap<>();
        Map<FirewallRules.Table, Map<String, Set<String>>> elements = new HashMap<>();
        try (var documents = JSON.readerFor(JsonNode.class).<JsonNode>readValues(json)) {
            while (documents.hasNext()) {
                for (JsonNode entry : documents.next().path("nftables")) {
                    String kind = entry.fieldNames().next();
                    if (kind.equals("metainfo")) {
                        continue;
                    }
                    ObjectNode object = ((ObjectNode) entry.get(kind)).deepCopy();
                    FirewallRules.Table table = FirewallRules.Table.of(object.path("family").asText());
                    object.remove("handle");
                    if (kind.equals("set")) {
                        Set<String> listed = new HashSet<>();
                        object.path("elem").forEach(e -> listed.add(element(e)));
                        elements.computeIfAbsent(table, t -> new HashMap<>()).put(object.path("name").asText(), listed);
                        object.remove("elem");
                    }
                    zeroCounters(object);
                    ObjectNode normalized = JSON.createObjectNode();
                    normalized.set(kind, object);
                    structures.computeIfAbsent(table, t -> new ArrayList<>()).add(normalized);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new NetworkException("Failed to read nft's listing of the firewall: " + e.getMessage(), e);
        }
        Map<FirewallRules.Table, FirewallListing> tables = new HashMap<>();
        structures.forEach((table, structure) -> tables.put(table,
                new FirewallListing(structure, elements.getOrDefault(table, Map.of()))));
        return tables;
    }

    /** Whether {@code element} (of this listing's table) is in its set. */
    boolean has(FirewallElement element) {
        return elements.getOrDefault(element.set(), Set.of()).contains(element.listed());
    }

    /** {@code "10.200.0.2"}, {@code 4567}, {@code {"concat": ["iv1", "52:54:..."]}}, {@code {"elem": {"val": ...}}}. */
    private static String element(JsonNode e) {
        if (e.has("concat")) {
            List<String> parts = new ArrayList<>();
            e.get("concat").forEach(p -> parts.add(p.asText()));
            return String.join(" . ", parts);
        }
        return e.has("elem") ? element(e.get("elem").path("val")) : e.asText();
    }

    /** Counters count what the rules did: what they are is the rest of the rule. */
    private static void zeroCounters(JsonNode node) {
        if (node instanceof ObjectNode object && object.get("counter") instanceof ObjectNode counter) {
            counter.put("packets", 0);
            counter.put("bytes", 0);
        }
        node.forEach(FirewallListing::zeroCounters);
    }
}
