package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.suites.plan.PlanContext;
import dev.qvgen.suites.plan.PlanItem;
import dev.qvgen.suites.plan.Plans;
import dev.qvgen.suites.plan.RunPlan;
import dev.qvgen.suites.plan.Shard;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code qvgen plan}: lists the built-in plans, prints one, or lists a (shard of a) plan's items. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Without arguments: list the built-in plans. With a plan name or file: check it and list its "
                + "work items (id, method, bits, prompt, seed) in expansion order, or only those of --shard i/n.")
public final class PlanCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "PLAN", description = "Built-in plan name or plan file.")
    String plan;

    @Option(names = "--shard", description = "Only shard i of n (0-based), e.g. 0/4.")
    String shard;

    @Option(names = "--show", description = "Print the plan file of a built-in plan instead of its items.")
    boolean show;

    @Override
    public Integer call() {
        if (plan == null) {
            for (String name : Plans.BUILT_IN) {
                RunPlan p = Plans.builtIn(name);
                System.out.printf("%-24s %s%n", name, p.description());
            }
            return 0;
        }
        try {
            if (show) {
                System.out.print(Plans.builtInText(plan));
                return 0;
            }
            RunPlan p = Plans.load(plan);
            Shard s = shard == null ? Shard.ALL : Shard.parse(shard);
            List<PlanItem> all = p.expand(PlanContext.defaults());
            List<PlanItem> mine = s.select(all);
            System.out.printf("# plan %s: %d items in %d slices; shard %s: items %d..%d (%d)%n", p.name(), all.size(),
                    p.slices().size(), s, s.from(all.size()), s.to(all.size()) - 1, mine.size());
            for (PlanItem i : mine) {
                System.out.printf("%s\t%s\t%s\t%d\t%d\t%s%n", i.id(), i.method(), i.bits(), i.prompt().index(),
                        i.seed(), i.prompt().text());
            }
            return 0;
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }
}
