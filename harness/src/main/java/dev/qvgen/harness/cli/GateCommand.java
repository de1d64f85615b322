package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.gate.Gate;
import dev.qvgen.reports.gate.GateInputException;
import dev.qvgen.reports.gate.JUnitXml;
import dev.qvgen.reports.gate.ResultSets;
import dev.qvgen.reports.gate.Tolerances;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code qvgen gate}: the CI regression gate. Exit 0 pass, 1 regression, 2 bad input. */
@Command(name = "gate", mixinStandardHelpOptions = true,
        description = "Compare a candidate result set with a baseline per (method, bits) and dimension: videos paired "
                + "by prompt and seed, the mean change over prompts with a seeded bootstrap confidence interval. A "
                + "dimension regresses when the whole interval is below minus its max allowed drop. Writes a JUnit "
                + "XML report. Exit 0: pass; 1: regression; 2: bad input.")
public final class GateCommand implements Callable<Integer> {
    @Option(names = "--baseline", required = true, description = "Baseline run directory, results.csv or results.json.")
    Path baseline;

    @Option(names = "--candidate", required = true, description = "Candidate run directory, results.csv or results.json.")
    Path candidate;

    @Option(names = "--tolerances", required = true,
            description = "YAML or JSON: default (max allowed drop), dimensions (per-dimension drops), and optionally "
                    + "confidence, resamples, seed.")
    Path tolerances;

    @Option(names = "--junit", description = "JUnit XML report to write (default: ${DEFAULT-VALUE}).")
    Path junit = Path.of("TEST-qvgen-gate.xml");

    @Override
    public Integer call() throws Exception {
        Gate.Report report;
        try {
            Tolerances tol = Tolerances.read(tolerances);
            List<ResultRow> base = ResultSets.read(baseline);
            List<ResultRow> cand = ResultSets.read(candidate);
            report = Gate.compare(base, cand, tol);
        } catch (GateInputException e) {
            throw new BadInputException(e.getMessage());
        }
        Map<String, String> props = new LinkedHashMap<>();
        props.put("baseline", baseline.toString());
        props.put("candidate", candidate.toString());
        props.put("tolerances", tolerances.toString());
        if (junit.toAbsolutePath().getParent() != null) {
            Files.createDirectories(junit.toAbsolutePath().getParent());
        }
        JUnitXml.write(junit, report, props);
        report.checks().forEach(c -> System.out.println(c.message()));
        report.notes().forEach(n -> System.out.println("note: " + n));
        long regressions = report.count(Gate.Verdict.REGRESSION);
        System.out.printf(Locale.ROOT, "gate: %s (%d checks, %d regressions, %d skipped); wrote %s%n",
                regressions > 0 ? "FAIL" : "pass", report.checks().size(), regressions,
                report.count(Gate.Verdict.SKIPPED), junit);
        return regressions > 0 ? 1 : 0;
    }
}
