package dev.qvgen.harness.plan;

import dev.qvgen.reports.ResultRow;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Dimensions that some scored rows of a merged result set have and others lack: shards written by
 * different versions of qvgen (one from before {@code output_fidelity} was recorded, say). The merge
 * keeps every row, and the report says which means rest on fewer rows than the table shows.
 */
final class PartialColumns {
    private PartialColumns() {}

    /** One note per such dimension, naming how many of the scored rows have it; none when all agree. */
    static List<String> notes(List<ResultRow> rows) {
        List<ResultRow> scored = rows.stream().filter(r -> r.error() == null).toList();
        Map<String, Integer> have = new TreeMap<>();
        scored.forEach(r -> r.scores().keySet().forEach(m -> have.merge(m, 1, Integer::sum)));
        List<String> notes = new ArrayList<>();
        have.forEach((m, n) -> {
            if (n < scored.size()) {
                notes.add(String.format(Locale.ROOT, "%s is in %d of the %d scored rows (the others come from "
                        + "results written without it, e.g. by an older qvgen); its means and the gate's pairs use "
                        + "those %d rows only.", m, n, scored.size(), n));
            }
        });
        return notes;
    }
}
