package dev.qvgen.reports.gate;

import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import dev.qvgen.reports.AtomicFiles;

/**
 * The gate's verdicts as a JUnit XML report (the Surefire/Ant schema that Jenkins, GitLab and
 * GitHub test reporters read): one {@code <testcase>} per (group, dimension), classname
 * {@code qvgen.gate.<method>.<bits>}, name the dimension; a regression is a {@code <failure>}, a
 * dimension without pairs is {@code <skipped>}. Built as a DOM and serialised by the JDK, so the
 * file is well-formed whatever a prompt or dimension name contains.
 */
public final class JUnitXml {
    public static final String SUITE = "qvgen-gate";

    private JUnitXml() {}

    /**
     * @param properties extra {@code <property>} entries, e.g. the baseline and candidate paths
     */
    public static void write(Path file, Gate.Report report, Map<String, String> properties) throws IOException {
        AtomicFiles.writeString(file, render(report, properties));
    }

    public static String render(Gate.Report report, Map<String, String> properties) {
        Document doc;
        try {
            doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
        Element suites = doc.createElement("testsuites");
        doc.appendChild(suites);
        Element suite = doc.createElement("testsuite");
        suites.appendChild(suite);
        int tests = report.checks().size();
        suite.setAttribute("name", SUITE);
        suite.setAttribute("tests", Integer.toString(tests));
        suite.setAttribute("failures", Long.toString(report.count(Gate.Verdict.REGRESSION)));
        suite.setAttribute("errors", "0");
        suite.setAttribute("skipped", Long.toString(report.count(Gate.Verdict.SKIPPED)));
        suite.setAttribute("time", "0");
        suites.setAttribute("name", SUITE);
        suites.setAttribute("tests", Integer.toString(tests));
        suites.setAttribute("failures", Long.toString(report.count(Gate.Verdict.REGRESSION)));
        suites.setAttribute("errors", "0");

        Element props = doc.createElement("properties");
        suite.appendChild(props);
        Map<String, String> all = new LinkedHashMap<>(properties);
        Tolerances t = report.tolerances();
        all.put("default_max_drop", num(t.defaultDrop()));
        all.put("confidence", num(t.confidence()));
        all.put("resamples", Integer.toString(t.resamples()));
        all.put("seed", Long.toString(t.seed()));
        all.forEach((k, v) -> {
            Element p = doc.createElement("property");
            p.setAttribute("name", clean(k));
            p.setAttribute("value", clean(v));
            props.appendChild(p);
        });

        for (Gate.Check c : report.checks()) {
            Element tc = doc.createElement("testcase");
            tc.setAttribute("classname", clean("qvgen.gate." + c.method() + "." + c.bits()));
            tc.setAttribute("name", clean(c.dimension()));
            tc.setAttribute("time", "0");
            switch (c.verdict()) {
                case REGRESSION -> {
                    Element f = doc.createElement("failure");
                    f.setAttribute("type", "regression");
                    f.setAttribute("message", clean(c.message()));
                    f.setTextContent(clean(detail(c)));
                    tc.appendChild(f);
                }
                case SKIPPED -> {
                    Element s = doc.createElement("skipped");
                    s.setAttribute("message", clean(c.message()));
                    tc.appendChild(s);
                }
                case PASS -> {
                    Element out = doc.createElement("system-out");
                    out.setTextContent(clean(c.message()));
                    tc.appendChild(out);
                }
            }
            suite.appendChild(tc);
        }
        if (!report.notes().isEmpty()) {
            Element out = doc.createElement("system-out");
            out.setTextContent(clean(String.join("\n", report.notes())));
            suite.appendChild(out);
        }
        try {
            Transformer tr = TransformerFactory.newInstance().newTransformer();
            tr.setOutputProperty(OutputKeys.INDENT, "yes");
            tr.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            tr.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "2");
            StringWriter w = new StringWriter();
            tr.transform(new DOMSource(doc), new StreamResult(w));
            return w.toString().replaceFirst("\\?>", "?>\n");
        } catch (TransformerException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String detail(Gate.Check c) {
        return String.format(Locale.ROOT, "group: %s%ndimension: %s%nbaseline mean: %.6f%ncandidate mean: %.6f%n"
                        + "change: %+.6f%n%.0f%% bootstrap CI over prompts: [%+.6f, %+.6f]%nprompts: %d, pairs: %d%n"
                        + "max allowed drop: %.6f (regression: the whole interval is below %.6f)",
                c.group(), c.dimension(), c.baselineMean(), c.candidateMean(), c.change(), c.confidence() * 100,
                c.low(), c.high(), c.prompts(), c.pairs(), c.maxDrop(), -c.maxDrop());
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%s", v);
    }

    /** XML 1.0 cannot hold most control characters even escaped; a prompt could contain them. */
    private static String clean(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            boolean ok = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xD7FF)
                    || (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000;
            sb.appendCodePoint(ok ? c : 0xFFFD);
        });
        return sb.toString();
    }
}
