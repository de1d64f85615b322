package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.util.ArrayList;
import java.util.List;

class HtmlReportTest {
    private final ReportInput in = Fixtures.input(List.of(Fixtures.lossChart()));
    private final String html = HtmlReport.render(in, Plot.forReport(in));

    @Test
    void isWellFormedWithDoctypeCharsetAndLanguage() throws Exception {
        assertTrue(html.startsWith("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>"));
        Document d = Xml.parse(html);
        assertEquals("html", d.getDocumentElement().getTagName());
        assertEquals(2, d.getElementsByTagName("svg").getLength());
    }

    @Test
    void hasOneClosedVideoPerRowWithItsEncodedSource() throws Exception {
        assertEquals(Fixtures.ROWS.size(), html.split("<video ", -1).length - 1);
        assertEquals(Fixtures.ROWS.size(), html.split("></video>", -1).length - 1);
        NodeList videos = Xml.parse(html).getElementsByTagName("video");
        List<String> srcs = new ArrayList<>();
        for (int i = 0; i < videos.getLength(); i++) {
            Element v = (Element) videos.item(i);
            srcs.add(v.getAttribute("src"));
            assertTrue(v.hasAttribute("controls") && v.hasAttribute("loop") && v.hasAttribute("muted")
                    && v.hasAttribute("playsinline"));
        }
        assertEquals(List.of("videos/fp-fp16/a%20red%20circle%2C%20%22quoted%22%2C%20moves%20left-0.mp4",
                "videos/rtn-w3a3/a.mp4", "videos/fp-fp16/b%20c%231.mp4", "videos/rtn-w3a3/b.mp4"), srcs);
    }

    @Test
    void gridPutsPromptsInRowsAndGroupsInColumns() throws Exception {
        Element grid = (Element) Xml.parse(html).getElementsByTagName("table").item(2);
        assertEquals("videos", grid.getAttribute("class"));
        NodeList trs = grid.getElementsByTagName("tr");
        assertEquals(1 + 2, trs.getLength());
        assertEquals("promptfp fp16rtn w3a3", trs.item(0).getTextContent());
        Element second = (Element) trs.item(2);
        assertTrue(second.getElementsByTagName("th").item(0).getTextContent().startsWith("1. <script>"));
        Element rtnCell = (Element) second.getElementsByTagName("td").item(1);
        assertEquals("videos/rtn-w3a3/b.mp4",
                ((Element) rtnCell.getElementsByTagName("video").item(0)).getAttribute("src"));
        assertTrue(rtnCell.getTextContent().contains("error: videos/rtn-w3a3/b.mp4: truncated"));
    }

    @Test
    void escapesPromptsAndNotesAndLoadsNothingFromElsewhere() {
        assertFalse(html.contains("<script"), "a prompt became markup");
        assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; a blue square"));
        assertTrue(html.contains("<p>Second &lt;b&gt;note&lt;/b&gt;.</p>"));
        assertFalse(html.matches("(?s).*(src|href)=\"(https?:)?//.*"), "external resource");
    }

    @Test
    void scoresAppearInTheClipTooltip() {
        assertTrue(html.contains("title=\"m2 0.500&#10;m1 1.000\""), html);
        assertTrue(html.contains("image-rendering:pixelated"));
    }

    @Test
    void tablesShowMeansAndDeltas() {
        assertTrue(html.contains("<td class=\"num\">0.750 ± 0.250</td>"));
        assertTrue(html.contains("<h2>Difference from fp fp16 (group mean minus its mean)</h2>"));
        assertTrue(html.contains("<td class=\"num\">-0.500</td>"));
    }
}
