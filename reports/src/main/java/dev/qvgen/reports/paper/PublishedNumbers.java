package dev.qvgen.reports.paper;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Numbers published in the QVGen paper, kept as a data resource with where each was read
 * ({@code dev/qvgen/reports/paper/qvgen-2505.11497.json}). Values are in the paper's scale
 * (VBench percentages).
 *
 * <pre>
 * {"paper", "arxiv", "url", "scale": "percent", "note",
 *  "tables": [{"table": "1", "page": 7, "model": "cogvideox-2b",
 *              "rows": [{"method": "fp", "bits": "bf16", "values": {"dynamic_degree": 12.3, ...}}]}],
 *  "claims": [{"model", "method", "bits", "dimension", "paper_dimension", "improvement", "over", "source"}]}
 * </pre>
 */
public record PublishedNumbers(String paper, String url, String note, List<Table> tables, List<Claim> claims) {
    public static final String RESOURCE = "/dev/qvgen/reports/paper/qvgen-2505.11497.json";

    /** One table of the paper: per (method, bits) row, dimension → value. */
    public record Table(String table, int page, String model, List<Row> rows) {
        public Table {
            rows = List.copyOf(rows);
        }

        /** e.g. "Table 2, p. 7". */
        public String source() {
            return "Table " + table + ", p. " + page;
        }
    }

    public record Row(String method, String bits, Map<String, Double> values) {
        public Row {
            values = Map.copyOf(values);
        }
    }

    /**
     * A claim of the text: {@code method} at {@code bits} beats the other methods by
     * {@code improvement} on {@code dimension}.
     */
    public record Claim(String model, String method, String bits, String dimension, String paperDimension,
            double improvement, String over, String source) {}

    public PublishedNumbers {
        tables = List.copyOf(tables);
        claims = List.copyOf(claims);
    }

    /** The published value for a row and dimension, with its table. */
    public record Value(double value, Table table) {}

    public Optional<Value> value(String model, String method, String bits, String dimension) {
        for (Table t : tables) {
            if (!t.model().equals(model)) {
                continue;
            }
            for (Row r : t.rows()) {
                // The paper's full-precision row is BF16 whatever label the run used for fp.
                boolean sameBits = r.bits().equals(bits) || (method.equals("fp") && r.method().equals("fp"));
                if (r.method().equals(method) && sameBits && r.values().containsKey(dimension)) {
                    return Optional.of(new Value(r.values().get(dimension), t));
                }
            }
        }
        return Optional.empty();
    }

    public List<Claim> claims(String model) {
        return claims.stream().filter(c -> c.model().equals(model)).toList();
    }

    /** The bundled numbers. */
    public static PublishedNumbers load() {
        try (InputStream in = PublishedNumbers.class.getResourceAsStream(RESOURCE)) {
            Objects.requireNonNull(in, RESOURCE);
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException one line naming {@code source} and the problem */
    public static PublishedNumbers parse(String json, String source) {
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            List<Table> tables = new ArrayList<>();
            for (JsonElement te : arr(o, "tables")) {
                JsonObject t = te.getAsJsonObject();
                List<Row> rows = new ArrayList<>();
                for (JsonElement re : arr(t, "rows")) {
                    JsonObject r = re.getAsJsonObject();
                    Map<String, Double> values = new LinkedHashMap<>();
                    for (Map.Entry<String, JsonElement> v : r.getAsJsonObject("values").entrySet()) {
                        values.put(v.getKey(), v.getValue().getAsDouble());
                    }
                    rows.add(new Row(str(r, "method"), str(r, "bits"), values));
                }
                tables.add(new Table(str(t, "table"), t.get("page").getAsInt(), str(t, "model"), rows));
            }
            List<Claim> claims = new ArrayList<>();
            for (JsonElement ce : arr(o, "claims")) {
                JsonObject c = ce.getAsJsonObject();
                claims.add(new Claim(str(c, "model"), str(c, "method"), str(c, "bits"), str(c, "dimension"),
                        str(c, "paper_dimension"), c.get("improvement").getAsDouble(), str(c, "over"),
                        str(c, "source")));
            }
            if (!Set.of("percent").contains(str(o, "scale"))) {
                throw new IllegalArgumentException("scale must be \"percent\"");
            }
            return new PublishedNumbers(str(o, "paper"), str(o, "url"), str(o, "note"), tables, claims);
        } catch (JsonParseException | IllegalStateException | NullPointerException | UnsupportedOperationException
                | ClassCastException | IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": bad published-numbers file (" + e.getMessage() + ")", e);
        }
    }

    private static JsonArray arr(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null ? new JsonArray() : e.getAsJsonArray();
    }

    private static String str(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("missing \"" + key + "\"");
        }
        return e.getAsString();
    }
}
