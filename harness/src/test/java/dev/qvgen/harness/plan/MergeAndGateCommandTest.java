package dev.qvgen.harness.plan;

import dev.qvgen.harness.CliRun;
import dev.qvgen.harness.Main;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.ResultsCsv;
import dev.qvgen.reports.ResultsJson;
import dev.qvgen.suites.plan.PlanContext;
import dev.qvgen.suites.plan.PlanItem;
import dev.qvgen.suites.plan.PlanManifest;
import dev.qvgen.suites.plan.Plans;
import dev.qvgen.suites.plan.RunPlan;
import dev.qvgen.suites.plan.Shard;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code qvgen merge} and {@code qvgen gate} end to end on crafted shard directories and result sets. */
class MergeAndGateCommandTest {
    static final String PLAN = String.join("\n",
            "name: merge-test",
            "models: [toy-wan]",
            "methods: [fp, rtn]",
            "bits: [w4a4, w3a3]",
            "prompts: {suite: toy, limit: 4}",
            "seeds: 2",
            "sampling: {steps: 20, guidance: 4}",
            "");

    @TempDir
    Path tmp;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    static ResultRow row(PlanItem i, double score) {
        return new ResultRow(i.method(), i.bits(), i.prompt().index(), i.prompt().text(), i.seed(),
                "videos/" + i.arm() + "/" + i.prompt().text() + "-" + i.seedIndex() + ".mp4",
                Map.of("dynamic_degree", score, "temporal_flickering", 0.9 + score / 10), null);
    }

    /** Writes shard directories the way a sharded reproduce does: manifest, videos, results.csv. */
    List<Path> shards(Path planFile, int n, boolean asJson) throws Exception {
        RunPlan plan = Plans.load(planFile.toString());
        List<PlanItem> items = plan.expand(PlanContext.defaults());
        List<Path> dirs = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            Shard shard = new Shard(s, n);
            Path dir = tmp.resolve("shard-" + s);
            PlanManifest.write(dir, plan, shard);
            List<ResultRow> rows = new ArrayList<>();
            for (PlanItem i : shard.select(items)) {
                ResultRow r = row(i, 0.1 * (i.ordinal() % 7));
                Path video = plan.sliceDir(dir, i.slice()).resolve(r.video());
                Files.createDirectories(video.getParent());
                Files.writeString(video, i.id());
                rows.add(r);
            }
            Path sliceDir = plan.sliceDir(dir, items.get(0).slice());
            if (asJson) {
                ResultsJson.write(sliceDir.resolve("results.json"),
                        new ResultsJson.Contents("shard-" + s, Instant.EPOCH, rows, List.of()));
            } else {
                ResultsCsv.write(sliceDir.resolve("results.csv"), rows);
            }
            dirs.add(dir);
        }
        return dirs;
    }

    Path planFile() throws Exception {
        Path f = tmp.resolve("merge-test.yaml");
        Files.writeString(f, PLAN);
        return f;
    }

    static String[] args(Path out, List<Path> dirs, String... extra) {
        List<String> a = new ArrayList<>(List.of("merge", "--out", out.toString()));
        a.addAll(List.of(extra));
        dirs.forEach(d -> a.add(d.toString()));
        return a.toArray(String[]::new);
    }

    @Test
    void mergesShardsIntoThePlansOrder() throws Exception {
        List<Path> dirs = shards(planFile(), 3, false);
        Path out = tmp.resolve("merged");
        // Order of the shard directories on the command line does not matter.
        CliRun r = run(args(out, List.of(dirs.get(2), dirs.get(0), dirs.get(1))));
        assertEquals(0, r.code(), r.err());
        List<ResultRow> rows = ResultsCsv.read(out.resolve("results.csv"));
        List<PlanItem> items = Plans.load(planFile().toString()).expand();
        assertEquals(items.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(items.get(i).seed(), rows.get(i).seed());
            assertEquals(items.get(i).method(), rows.get(i).method());
        }
        assertTrue(Files.exists(out.resolve("report.html")));
        assertTrue(Files.readString(out.resolve("paper.md")).contains("| Method | Bits | Temporal Flickering | Dynamic Degree |"));
        assertTrue(Files.exists(out.resolve(PlanManifest.PLAN_FILE)));
        assertEquals(items.get(5).id(), Files.readString(out.resolve(rows.get(5).video())), "videos linked in");
        assertTrue(r.out().contains("24 items of plan 'merge-test' from 3 shard directories"), r.out());
    }

    @Test
    void mergesJsonResultsAndOneShardOfOne() throws Exception {
        List<Path> dirs = shards(planFile(), 1, true);
        CliRun r = run(args(tmp.resolve("m"), dirs));
        assertEquals(0, r.code(), r.err());
        assertEquals(24, ResultsCsv.read(tmp.resolve("m/results.csv")).size());
    }

    @Test
    void mergesAShardWrittenBeforeADimensionExistedWithANote() throws Exception {
        List<Path> dirs = shards(planFile(), 2, false);
        // shard 1 rewritten by a newer qvgen that also records output_fidelity; shard 0 is older
        Path csv = dirs.get(1).resolve("results.csv");
        List<ResultRow> newer = ResultsCsv.read(csv).stream().map(r -> {
            Map<String, Double> scores = new java.util.HashMap<>(r.scores());
            scores.put("output_fidelity", 0.9);
            return new ResultRow(r.method(), r.bits(), r.promptIndex(), r.prompt(), r.seed(), r.video(), scores,
                    r.error());
        }).toList();
        ResultsCsv.write(csv, newer);
        Path out = tmp.resolve("merged");
        CliRun r = run(args(out, dirs));
        assertEquals(0, r.code(), r.err());
        String note = "output_fidelity is in " + newer.size() + " of the 24 scored rows";
        assertTrue(r.out().contains("note: " + note), r.out());
        List<ResultRow> rows = ResultsCsv.read(out.resolve("results.csv"));
        assertEquals(24, rows.size());
        assertEquals(newer.size(), rows.stream().filter(x -> x.scores().containsKey("output_fidelity")).count());
        assertTrue(Files.readString(out.resolve("report.md")).contains(note));
        // shards that agree get no such note
        CliRun same = run(args(tmp.resolve("same"), shards(planFile(), 2, false)));
        assertFalse(same.out().contains("note:"), same.out());
    }

    @Test
    void refusesAGap() throws Exception {
        List<Path> dirs = shards(planFile(), 4, false);
        CliRun r = run(args(tmp.resolve("m"), List.of(dirs.get(0), dirs.get(1), dirs.get(3))));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("gap: 6 of 24 items of plan 'merge-test' have no result row"), r.err());
        assertTrue(r.err().contains("shards not given: 2/4"), r.err());
        assertFalse(Files.exists(tmp.resolve("m/results.csv")), "nothing written");
    }

    @Test
    void refusesADuplicate() throws Exception {
        List<Path> dirs = shards(planFile(), 2, false);
        CliRun r = run(args(tmp.resolve("m"), List.of(dirs.get(0), dirs.get(1), dirs.get(0))));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("duplicate result for item toy-wan/s20-g4/fp/p0000/s0"), r.err());
        // A shard that wrote one item twice.
        Path csv = dirs.get(1).resolve("results.csv");
        List<ResultRow> rows = new ArrayList<>(ResultsCsv.read(csv));
        rows.add(rows.get(0));
        ResultsCsv.write(csv, rows);
        CliRun twice = run(args(tmp.resolve("m"), dirs));
        assertEquals(2, twice.code(), twice.err());
        assertTrue(twice.err().contains(" twice (overlapping shards?)"), twice.err());
    }

    @Test
    void refusesRowsOfAnotherPlanAndMixedPlans() throws Exception {
        List<Path> dirs = shards(planFile(), 2, false);
        Path csv = dirs.get(1).resolve("results.csv");
        List<ResultRow> rows = new ArrayList<>(ResultsCsv.read(csv));
        ResultRow r0 = rows.get(0);
        rows.add(new ResultRow("lsq", "w4a4", 0, r0.prompt(), 0, r0.video(), r0.scores(), null));
        ResultsCsv.write(csv, rows);
        CliRun r = run(args(tmp.resolve("m"), dirs));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("row 'lsq w4a4 prompt 0 seed 0' is not an item of plan 'merge-test'"), r.err());

        PlanManifest.write(dirs.get(1), Plans.builtIn("toy-smoke"), new Shard(1, 2));
        CliRun mixed = run(args(tmp.resolve("m"), dirs));
        assertEquals(2, mixed.code(), mixed.err());
        assertTrue(mixed.err().contains("holds plan 'toy-smoke', which differs from the plan in"), mixed.err());

        CliRun noManifest = run(args(tmp.resolve("m"), List.of(tmp)));
        assertEquals(2, noManifest.code());
        assertTrue(noManifest.err().contains("no plan.yaml"), noManifest.err());
    }

    @Test
    void multiSliceShardsKeepOneResultsTablePerSlice() throws Exception {
        Path f = tmp.resolve("two.yaml");
        Files.writeString(f, PLAN.replace("sampling: {steps: 20, guidance: 4}",
                "sampling: [{steps: 20, guidance: 4}, {steps: 8, guidance: 2}]"));
        RunPlan plan = Plans.load(f.toString());
        List<PlanItem> items = plan.expand();
        List<Path> dirs = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            Shard shard = new Shard(s, 3);
            Path dir = tmp.resolve("ms-" + s);
            PlanManifest.write(dir, plan, shard);
            for (String slice : plan.slices()) {
                List<ResultRow> rows = shard.select(items).stream().filter(i -> i.slice().equals(slice))
                        .map(i -> row(i, 0.5)).toList();
                if (!rows.isEmpty()) {
                    Files.createDirectories(plan.sliceDir(dir, slice));
                    ResultsCsv.write(plan.sliceDir(dir, slice).resolve("results.csv"), rows);
                }
            }
            dirs.add(dir);
        }
        Path out = tmp.resolve("merged");
        CliRun r = run(args(out, dirs));
        assertEquals(0, r.code(), r.err());
        assertEquals(24, ResultsCsv.read(out.resolve("toy-wan/s20-g4/results.csv")).size());
        assertEquals(24, ResultsCsv.read(out.resolve("toy-wan/s8-g2/results.csv")).size());
    }

    // ---- gate ---------------------------------------------------------------------------------

    Path resultSet(String name, double shift, long noise) throws Exception {
        List<PlanItem> items = Plans.load(planFile().toString()).expand();
        java.util.Random rng = new java.util.Random(noise);
        List<ResultRow> rows = new ArrayList<>();
        for (PlanItem i : items) {
            double base = 0.3 + 0.1 * i.prompt().index();
            rows.add(new ResultRow(i.method(), i.bits(), i.prompt().index(), i.prompt().text(), i.seed(), "v.mp4",
                    Map.of("dynamic_degree", base + shift + 0.01 * rng.nextGaussian(),
                            "temporal_flickering", 0.95 + shift + 0.002 * rng.nextGaussian()), null));
        }
        Path dir = Files.createDirectories(tmp.resolve(name));
        ResultsCsv.write(dir.resolve("results.csv"), rows);
        return dir;
    }

    @Test
    void gateExitCodes() throws Exception {
        Path tol = tmp.resolve("tol.yaml");
        Files.writeString(tol, "default: 0.02\ndimensions:\n  dynamic_degree: 0.05\n");
        Path base = resultSet("base", 0, 1);
        Path junit = tmp.resolve("reports/TEST-gate.xml");

        CliRun noise = run("gate", "--baseline", base.toString(), "--candidate", resultSet("noise", 0, 2).toString(),
                "--tolerances", tol.toString(), "--junit", junit.toString());
        assertEquals(0, noise.code(), noise.out() + noise.err());
        assertTrue(noise.out().contains("gate: pass (6 checks, 0 regressions"), noise.out());
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
        assertEquals(6, doc.getElementsByTagName("testcase").getLength(), "3 groups x 2 dimensions");

        CliRun drop = run("gate", "--baseline", base.toString(), "--candidate", resultSet("drop", -0.1, 3).toString(),
                "--tolerances", tol.toString(), "--junit", junit.toString());
        assertEquals(1, drop.code(), drop.out() + drop.err());
        assertTrue(drop.out().contains("gate: FAIL (6 checks, 6 regressions"), drop.out());
        doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
        assertEquals(6, doc.getElementsByTagName("failure").getLength());

        Path badTol = tmp.resolve("bad.yaml");
        Files.writeString(badTol, "defualt: 0.1\n");
        CliRun bad = run("gate", "--baseline", base.toString(), "--candidate", base.toString(), "--tolerances",
                badTol.toString(), "--junit", junit.toString());
        assertEquals(2, bad.code());
        assertEquals(badTol + ":1: key 'defualt': unknown key (known: default, dimensions, confidence, resamples, seed)",
                bad.err().strip().replaceFirst("^qvgen: ", ""));

        Path garbage = Files.createDirectories(tmp.resolve("garbage"));
        Files.writeString(garbage.resolve("results.csv"), "not,a,results,file\n1,2,3,4\n");
        CliRun unreadable = run("gate", "--baseline", base.toString(), "--candidate", garbage.toString(),
                "--tolerances", tol.toString(), "--junit", junit.toString());
        assertEquals(2, unreadable.code());
        assertTrue(unreadable.err().contains("results.csv:1: bad header"), unreadable.err());

        CliRun missing = run("gate", "--baseline", base.toString(), "--candidate", tmp.resolve("nope").toString(),
                "--tolerances", tol.toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nope: not found"), missing.err());
    }

    @Test
    void planCommandListsShards() throws Exception {
        CliRun all = run("plan");
        assertEquals(0, all.code());
        assertTrue(all.out().contains("toy-smoke"), all.out());
        CliRun shard = run("plan", planFile().toString(), "--shard", "1/4");
        assertEquals(0, shard.code(), shard.err());
        assertEquals(1 + 6, shard.out().lines().count(), shard.out());
        CliRun bad = run("plan", planFile().toString(), "--shard", "4/4");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("bad shard 4/4"), bad.err());
    }
}
