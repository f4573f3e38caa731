package dev.isola.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code metadata.json} says about a run. The runner owns that file's schema, so the report does not bind
 * it to a type: it shows every field as a flattened {@code path = value} list and looks up only the few fields
 * it acts on ({@code accelerator}, {@code interrupted}, {@code quick}) by name wherever they are nested.
 *
 * @param present  false when the run directory has no metadata.json (the report says so instead of failing)
 * @param fields   every leaf of the JSON document as (dotted path, text), in document order
 */
public record RunMetadata(boolean present, List<Map.Entry<String, String>> fields, Optional<String> accelerator,
                          boolean interrupted, boolean quick) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public RunMetadata {
        fields = List.copyOf(fields);
    }

    static RunMetadata absent() {
        return new RunMetadata(false, List.of(), Optional.empty(), false, false);
    }

    static RunMetadata read(Path file) {
        if (!Files.exists(file)) {
            return absent();
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new BenchReportException("Failed to read run metadata " + file + ": " + e.getOriginalMessage()
                    + " at line " + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()), e);
        } catch (IOException e) {
            throw new BenchReportException("Failed to read run metadata " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new BenchReportException("Failed to read run metadata " + file + ": not a JSON object");
        }
        List<Map.Entry<String, String>> fields = new ArrayList<>();
        flatten("", root, fields);
        Optional<String> accelerator = Optional.ofNullable(root.findValue("accelerator"))
                .filter(n -> !n.isNull())
                .map(n -> n.isValueNode() ? n.asText() : n.toString())
                .filter(s -> !s.isBlank());
        return new RunMetadata(true, fields, accelerator, flag(root, "interrupted"), flag(root, "quick"));
    }

    private static boolean flag(JsonNode root, String name) {
        JsonNode node = root.findValue(name);
        return node != null && node.asBoolean(false);
    }

    private static void flatten(String path, JsonNode node, List<Map.Entry<String, String>> out) {
        if (node.isObject()) {
            node.properties().forEach(e -> flatten(path.isEmpty() ? e.getKey() : path + "." + e.getKey(),
                    e.getValue(), out));
        } else if (node.isArray() && node.size() > 0 && node.get(0).isContainerNode()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(path + "[" + i + "]", node.get(i), out);
            }
        } else if (node.isArray()) {
            List<String> items = new ArrayList<>();
            node.forEach(item -> items.add(item.asText()));
            out.add(Map.entry(path, String.join(", ", items)));
        } else {
            out.add(Map.entry(path, node.isNull() ? "" : node.asText()));
        }
    }

    /** The value of the first field whose path ends with {@code suffix}. */
    public Optional<String> field(String suffix) {
        return fields.stream().filter(e -> e.getKey().equals(suffix) || e.getKey().endsWith("." + suffix))
                .map(Map.Entry::getValue).findFirst();
    }
}
