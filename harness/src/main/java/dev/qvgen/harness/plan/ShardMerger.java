package dev.qvgen.harness.plan;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.reports.PaperReport;
import dev.qvgen.reports.ReportInput;
import dev.qvgen.reports.ReportWriter;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.ResultsCsv;
import dev.qvgen.reports.ResultsJson;
import dev.qvgen.reports.paper.PublishedNumbers;
import dev.qvgen.suites.plan.PlanItem;
import dev.qvgen.suites.plan.PlanManifest;
import dev.qvgen.suites.plan.RunPlan;
import dev.qvgen.suites.plan.Shard;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Joins the results of a plan's shards into one run directory. Every result row must be an item
 * of the plan, no item may have two rows (two shards that both ran it, or one shard that wrote it
 * twice), and every item must have one: otherwise nothing is written and the error names the
 * items and shards.
 *
 * <p>Layout: a shard directory holds its results like any run directory (results.csv or
 * results.json, the video paths they name relative to it); when the plan has several (model,
 * sampling) slices, each slice's results are in {@link RunPlan#sliceDir}. The merged directory has
 * the same layout, with the videos linked (or copied) in.
 */
public final class ShardMerger {
    /** What was merged: rows per slice, and remarks on the merged rows (see {@link PartialColumns}). */
    public record Result(Map<String, Integer> rowsPerSlice, int videosCopied, List<String> notes) {}

    private record Source(Path file, Path sliceDir) {}

    private ShardMerger() {}

    /**
     * @param items the plan's expansion ({@code plan.expand(...)})
     * @throws BadInputException unreadable results, a row outside the plan, a duplicate or a gap
     */
    public static Result merge(RunPlan plan, List<PlanItem> items, List<Path> shardDirs, Path out)
            throws IOException {
        if (shardDirs.isEmpty()) {
            throw new BadInputException("merge: no shard directories given");
        }
        for (Path d : shardDirs) {
            if (!Files.isDirectory(d)) {
                throw new BadInputException(d + ": not a directory");
            }
        }
        Map<String, List<ResultRow>> merged = new LinkedHashMap<>();
        Map<ResultRow, Path> origin = new HashMap<>();
        for (String slice : plan.slices()) {
            Map<PlanItem.ResultKey, PlanItem> expected = new HashMap<>();
            items.stream().filter(i -> i.slice().equals(slice)).forEach(i -> expected.put(i.resultKey(), i));
            Map<PlanItem.ResultKey, Path> seen = new HashMap<>();
            List<ResultRow> rows = new ArrayList<>();
            for (Path d : shardDirs) {
                Source src = source(plan.sliceDir(d, slice));
                if (src == null) {
                    continue;
                }
                for (ResultRow r : read(src.file())) {
                    PlanItem.ResultKey k = new PlanItem.ResultKey(r.method(), r.bits(), r.promptIndex(), r.seed());
                    PlanItem item = expected.get(k);
                    if (item == null) {
                        throw new BadInputException(src.file() + ": row '" + k + "' is not an item of plan '"
                                + plan.name() + "'" + (plan.slices().size() > 1 ? " slice " + slice : "")
                                + " (a shard of another plan?)");
                    }
                    Path first = seen.putIfAbsent(k, src.file());
                    if (first != null) {
                        throw new BadInputException("duplicate result for item " + item.id() + ": in " + first
                                + (first.equals(src.file()) ? " twice" : " and in " + src.file())
                                + " (overlapping shards?)");
                    }
                    rows.add(r);
                    origin.put(r, src.sliceDir());
                }
            }
            List<PlanItem> missing = expected.values().stream().filter(i -> !seen.containsKey(i.resultKey()))
                    .sorted(Comparator.comparingInt(PlanItem::ordinal)).toList();
            if (!missing.isEmpty()) {
                throw new BadInputException(gapMessage(plan, items.size(), missing, shardDirs));
            }
            rows.sort(Comparator.comparingInt(r -> expected.get(
                    new PlanItem.ResultKey(r.method(), r.bits(), r.promptIndex(), r.seed())).ordinal()));
            merged.put(slice, rows);
        }

        int copied = 0;
        Map<String, Integer> counts = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        for (Map.Entry<String, List<ResultRow>> e : merged.entrySet()) {
            Path dir = plan.sliceDir(out, e.getKey());
            Files.createDirectories(dir);
            for (ResultRow r : e.getValue()) {
                Path from = origin.get(r).resolve(r.video()).normalize();
                Path to = dir.resolve(r.video()).normalize();
                // A video path is relative to its run directory; one pointing outside it is not copied.
                if (from.startsWith(origin.get(r).normalize()) && to.startsWith(dir.normalize())) {
                    copied += linkOrCopy(from, to) ? 1 : 0;
                }
            }
            List<String> partial = PartialColumns.notes(e.getValue());
            writeRun(dir, plan, e.getKey(), e.getValue(), shardDirs.size(), partial);
            counts.put(e.getKey(), e.getValue().size());
            partial.forEach(n -> notes.add(plan.slices().size() > 1 ? e.getKey() + ": " + n : n));
        }
        PlanManifest.write(out, plan, Shard.ALL);
        return new Result(counts, copied, notes);
    }

    private static void writeRun(Path dir, RunPlan plan, String slice, List<ResultRow> rows, int shards,
            List<String> partial) throws IOException {
        TreeSet<String> metrics = new TreeSet<>();
        rows.forEach(r -> metrics.addAll(r.scores().keySet()));
        Map<String, String> described = new LinkedHashMap<>();
        metrics.forEach(m -> described.put(m, m));
        String runId = dir.toAbsolutePath().normalize().getFileName().toString();
        List<String> notes = new ArrayList<>(List.of("Merged from " + shards + " shard directories; every item of "
                + "the plan has exactly one row."));
        notes.addAll(partial);
        ReportInput in = new ReportInput("QVGen Harness: plan " + plan.name() + " (" + slice + ")", runId, notes,
                rows, described, List.of());
        ReportWriter.writeAll(dir, in);
        // The paper layout too: the slice names the model whose published numbers apply.
        String model = slice.substring(0, slice.indexOf('/'));
        PaperReport.write(dir, new PaperReport.Input("QVGen Harness: plan " + plan.name() + ", paper layout", runId,
                model, rows, PublishedNumbers.load(), List.of(), List.of()));
    }

    private static Source source(Path sliceDir) {
        Path csv = sliceDir.resolve("results.csv");
        if (Files.exists(csv)) {
            return new Source(csv, sliceDir);
        }
        Path json = sliceDir.resolve("results.json");
        return Files.exists(json) ? new Source(json, sliceDir) : null;
    }

    private static List<ResultRow> read(Path file) throws IOException {
        try {
            return file.getFileName().toString().endsWith(".csv") ? ResultsCsv.read(file) : ResultsJson.read(file).rows();
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    private static String gapMessage(RunPlan plan, int total, List<PlanItem> missing, List<Path> shardDirs) {
        StringBuilder sb = new StringBuilder("gap: ").append(missing.size()).append(" of ").append(total)
                .append(" items of plan '").append(plan.name()).append("' have no result row (first: ")
                .append(missing.stream().limit(3).map(PlanItem::id).collect(Collectors.joining(", "))).append(')');
        // Name the missing shards when the shard directories say which shards they are.
        TreeSet<Integer> present = new TreeSet<>();
        Integer count = null;
        for (Path d : shardDirs) {
            if (!Files.exists(d.resolve(PlanManifest.SHARD_FILE))) {
                return sb.toString();
            }
            try {
                Shard s = PlanManifest.read(d).shard();
                if (count != null && count != s.count()) {
                    return sb.append("; the shard directories come from different splits (").append(count)
                            .append(" and ").append(s.count()).append(" shards)").toString();
                }
                count = s.count();
                present.add(s.index());
            } catch (IllegalArgumentException e) {
                return sb.toString();
            }
        }
        List<String> absent = new ArrayList<>();
        for (int i = 0; count != null && i < count; i++) {
            if (!present.contains(i)) {
                absent.add(i + "/" + count);
            }
        }
        if (!absent.isEmpty()) {
            sb.append("; shards not given: ").append(String.join(", ", absent));
        }
        return sb.toString();
    }

    /** Hard link when the file system allows (no extra space), else a copy; false when the shard has no such video. */
    private static boolean linkOrCopy(Path from, Path to) throws IOException {
        if (!Files.exists(from)) {
            return false;
        }
        Files.createDirectories(to.getParent());
        try {
            Files.deleteIfExists(to);
            Files.createLink(to, from);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        return true;
    }
}
