package dev.qvgen.reports;

import java.util.ArrayList;
import java.util.List;

/**
 * One chart of a report.
 *
 * @param path  where it is written, relative to the run directory, e.g. "plots/scores.svg"
 * @param title what the reports call it
 * @param svg   the SVG document
 */
public record Plot(String path, String title, String svg) {
    /** The scores bar chart first, then the input's line charts in their order. */
    public static List<Plot> forReport(ReportInput in) {
        List<Plot> plots = new ArrayList<>();
        String scoresTitle = "Scores by method and bit width";
        plots.add(new Plot("plots/" + ReportInput.SCORES_PLOT, scoresTitle,
                SvgPlots.groupedBars(scoresTitle, in.summary(), in.metricNames())));
        for (ReportInput.Chart c : in.charts()) {
            plots.add(new Plot("plots/" + c.file(), c.title(),
                    SvgPlots.lines(c.title(), c.xLabel(), c.yLabel(), c.series(), c.logY())));
        }
        return List.copyOf(plots);
    }
}
