package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.plan.ShardMerger;
import dev.qvgen.suites.plan.PlanContext;
import dev.qvgen.suites.plan.PlanItem;
import dev.qvgen.suites.plan.PlanManifest;
import dev.qvgen.suites.plan.Plans;
import dev.qvgen.suites.plan.RunPlan;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code qvgen merge --out DIR SHARD_DIRS...}: joins the results of a plan's shards. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Join the results of a sharded run (one directory per --shard i/n) into one run directory: "
                + "results.csv, results.json and the reports, with the videos linked in. Refuses (exit 2) when a "
                + "result row is not an item of the plan, when an item has two rows, or when an item has none.")
public final class MergeCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Merged run directory.")
    Path out;

    @Option(names = "--plan", description = "Plan name or file (default: the plan.yaml the shard directories hold).")
    String plan;

    @Parameters(arity = "1..*", paramLabel = "SHARD_DIR", description = "Shard run directories.")
    List<Path> shards;

    @Override
    public Integer call() throws Exception {
        RunPlan p;
        try {
            p = plan != null ? Plans.load(plan) : planOfShards(shards);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        List<PlanItem> items;
        try {
            items = p.expand(PlanContext.defaults());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        ShardMerger.Result r = ShardMerger.merge(p, items, shards, out);
        r.rowsPerSlice().forEach((slice, n) -> System.out.printf("merged %s: %d rows%n", slice, n));
        r.notes().forEach(n -> System.out.println("note: " + n));
        System.out.printf("wrote %s (%d items of plan '%s' from %d shard directories, %d videos linked)%n", out,
                items.size(), p.name(), shards.size(), r.videosCopied());
        return 0;
    }

    /** The plan every shard directory records; they must all record the same one. */
    static RunPlan planOfShards(List<Path> dirs) {
        RunPlan first = null;
        Path firstDir = null;
        for (Path d : dirs) {
            RunPlan p = PlanManifest.read(d).plan();
            if (first == null) {
                first = p;
                firstDir = d;
            } else if (!first.toMap().equals(p.toMap())) {
                throw new BadInputException(d + ": holds plan '" + p.name() + "', which differs from the plan in "
                        + firstDir + " ('" + first.name() + "')");
            }
        }
        return first;
    }
}
