package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

class SvgPlotsTest {
    private static final String NASTY_TITLE = "t <&> \"q\" 'a' \u0001";
    private final List<Summary> groups = Summary.of(Fixtures.ROWS, List.of("m1", "m2"));

    @Test
    void barChartIsWellFormedWithOneBarPerGroupAndMetricValue() throws Exception {
        Document d = Xml.parse(SvgPlots.groupedBars(NASTY_TITLE, groups, List.of("m1", "m2")));
        assertEquals("svg", d.getDocumentElement().getTagName());
        // fp has m1 and m2, rtn has m1 and m2: four bars, each carrying a tooltip.
        List<String> tips = new ArrayList<>();
        NodeList rects = d.getElementsByTagName("rect");
        for (int i = 0; i < rects.getLength(); i++) {
            NodeList t = ((Element) rects.item(i)).getElementsByTagName("title");
            if (t.getLength() > 0) {
                tips.add(t.item(0).getTextContent());
            }
        }
        assertEquals(4, tips.size(), tips.toString());
        assertTrue(tips.contains("fp fp16, m1: 0.7500 ± 0.2500 (n=2)"), tips.toString());
        assertEquals(NASTY_TITLE.replace('\u0001', '\uFFFD'), d.getElementsByTagName("title").item(0).getTextContent());
    }

    @Test
    void barChartLegendNamesEveryGroup() throws Exception {
        String svg = SvgPlots.groupedBars("s", groups, List.of("m1", "m2"));
        assertTrue(svg.contains(">fp fp16</text>") && svg.contains(">rtn w3a3</text>"), svg);
    }

    @Test
    void lineChartIsWellFormedOnLinearAndLogAxes() throws Exception {
        List<Series> s = List.of(Fixtures.lossChart().series().get(0),
                new Series("grad norm", List.of(new double[] {0, 3}, new double[] {20, 0.5})));
        for (boolean logY : new boolean[] {false, true}) {
            Document d = Xml.parse(SvgPlots.lines(NASTY_TITLE, "step", "value", s, logY));
            assertEquals(2, d.getElementsByTagName("polyline").getLength());
        }
        String log = SvgPlots.lines("t", "step", "loss", s, true);
        assertTrue(log.contains(">0.01</text>") && log.contains(">10</text>") && log.contains(">step</text>")
                && log.contains(">grad norm</text>"), log);
    }

    @Test
    void nonFiniteAndNonPositiveValuesBreakTheLineOnALogAxis() throws Exception {
        Series gappy = new Series("gappy", List.of(new double[] {0, 1}, new double[] {1, 2}, new double[] {2, Double.NaN},
                new double[] {3, 0}, new double[] {4, 3}, new double[] {5, 4}));
        Document d = Xml.parse(SvgPlots.lines("t", "x", "y", List.of(gappy), true));
        assertEquals(2, d.getElementsByTagName("polyline").getLength());
        assertEquals(4, d.getElementsByTagName("circle").getLength());
    }

    @Test
    void emptyInputsStillGiveWellFormedCharts() throws Exception {
        Xml.parse(SvgPlots.groupedBars("none", List.of(), List.of()));
        Xml.parse(SvgPlots.lines("none", "x", "y", List.of(new Series("empty", List.of())), true));
    }

    @Test
    void sameInputGivesSameBytesWhateverTheDefaultLocale() {
        Locale saved = Locale.getDefault();
        try {
            String bars = SvgPlots.groupedBars("s", groups, List.of("m1", "m2"));
            String lines = SvgPlots.lines("t", "x", "y", Fixtures.lossChart().series(), true);
            // German formats 0.5 as "0,5": output depending on the default locale would change here.
            Locale.setDefault(Locale.GERMANY);
            assertEquals(bars, SvgPlots.groupedBars("s", groups, List.of("m1", "m2")));
            assertEquals(lines, SvgPlots.lines("t", "x", "y", Fixtures.lossChart().series(), true));
        } finally {
            Locale.setDefault(saved);
        }
    }
}
