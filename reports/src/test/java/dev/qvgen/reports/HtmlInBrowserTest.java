package dev.qvgen.reports;

import dev.qvgen.reports.paper.PublishedNumbers;
import dev.qvgen.reports.paper.TrainingLog;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Opens report.html and paper.html in headless Debian Chromium (driven by its chromedriver) and
 * fails on any console error: a broken inline SVG, a bad URL, a missing resource. Skipped only
 * when /usr/bin/chromium is absent (.ci/run installs it).
 */
class HtmlInBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    static Path tmp;

    static ChromeDriver driver;

    // Selenium warns that it has no DevTools binding for this Chromium version; the test does not use DevTools.
    static final java.util.logging.Logger SELENIUM_LOG = java.util.logging.Logger.getLogger("org.openqa.selenium");

    static {
        SELENIUM_LOG.setLevel(Level.SEVERE);
    }

    /** Why the browser tests cannot run here, or null when Chromium is installed. */
    static final String NO_CHROMIUM = Files.isExecutable(CHROMIUM) ? null
            : "skipped: " + CHROMIUM + " is absent (apt-get install -y chromium chromium-driver; .ci/run installs it)";

    /**
     * Each test, not the class, assumes Chromium: an assumption that fails in @BeforeAll aborts
     * the class, which Maven reports as 0 tests run, not as skipped tests with the reason.
     */
    @org.junit.jupiter.api.BeforeEach
    void needsChromium() {
        assumeTrue(NO_CHROMIUM == null, NO_CHROMIUM);
    }

    @BeforeAll
    static void start() throws Exception {
        if (NO_CHROMIUM != null) {
            return;
        }
        assertTrue(Files.isExecutable(CHROMEDRIVER), CHROMEDRIVER + " is missing: apt-get install -y chromium-driver");
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + Files.createDirectories(tmp.resolve("chromium-profile")));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        // An explicit driver: Selenium Manager would otherwise try to download one.
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        driver = new ChromeDriver(service, o);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
    }

    /** A run directory with every file the reports link to. */
    static Path run() throws Exception {
        Path dir = tmp.resolve("run");
        if (Files.exists(dir.resolve("paper.html"))) {
            return dir;
        }
        List<ResultRow> rows = new ArrayList<>();
        String[][] groups = {{"fp", "fp32"}, {"rtn", "w4a4"}, {"qvgen", "w4a4"}};
        for (String[] g : groups) {
            for (int p = 0; p < 2; p++) {
                String prompt = p == 0 ? Fixtures.QUOTED : Fixtures.SCRIPT;
                rows.add(new ResultRow(g[0], g[1], p, prompt, p, "videos/" + g[0] + "-" + g[1] + "/" + prompt + "-0.mp4",
                        Map.of("dynamic_degree", 0.3 + 0.1 * p, "temporal_flickering", 0.97, "toy_color", 0.5), null));
            }
        }
        ReportWriter.writeAll(dir, new ReportInput("Browser <check>", "run-1", List.of("a note"), rows,
                Map.of("dynamic_degree", "VBench dynamic degree", "temporal_flickering", "VBench flicker",
                        "toy_color", "colour"), List.of(Fixtures.lossChart())));
        Path log = dir.resolve("qvgen_log.csv");
        Files.writeString(log, "step,loss,grad_norm,lr_factor,rank:a,rank:b\n1,0.5,2.0,0.1,4,4\n2,0.4,1.0,1,2,3\n"
                + "3,0.3,0.5,0.5,0,1\n");
        PaperReport.write(dir, new PaperReport.Input("Paper layout <check>", "run-1", "cogvideox-2b", rows,
                PublishedNumbers.load(), List.of(TrainingLog.read(log, "qvgen")), List.of("note")));
        // Real files behind every video link: a missing one is a console error (net::ERR_FILE_NOT_FOUND).
        // Their content is no video; a decode failure is an element error event, not a console message.
        for (ResultRow r : rows) {
            Path v = dir.resolve(r.video());
            Files.createDirectories(v.getParent());
            Files.write(v, new byte[16]);
        }
        return dir;
    }

    static List<String> open(Path html) {
        driver.get(html.toUri().toString());
        List<String> errors = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.WARNING.intValue()) {
                errors.add(e.getLevel() + " " + e.getMessage());
            }
        }
        return errors;
    }

    @Test
    void reportHtmlOpensWithoutConsoleErrors() throws Exception {
        List<String> errors = open(run().resolve("report.html"));
        assertEquals(List.of(), errors);
        assertEquals("Browser <check>", driver.getTitle());
        assertEquals(6, driver.findElements(By.cssSelector("table.videos video")).size());
        assertTrue(driver.findElements(By.cssSelector("figure.plot svg")).size() >= 2);
        // The prompt with markup in it is text, not a script element.
        assertEquals(0L, ((JavascriptExecutor) driver).executeScript("return document.scripts.length"));
    }

    @Test
    void paperHtmlOpensWithoutConsoleErrors() throws Exception {
        List<String> errors = open(run().resolve("paper.html"));
        assertEquals(List.of(), errors);
        assertEquals("Dynamic Degree", driver.findElement(By.cssSelector("table.paper-scores tr th:nth-child(4)"))
                .getText());
        assertEquals(4, driver.findElements(By.cssSelector("table.paper-scores tr")).size(), "header + 3 groups");
        assertEquals(2, driver.findElements(By.cssSelector("figure.plot svg")).size(), "grad norm + rank");
        assertEquals(6, driver.findElements(By.cssSelector("table.videos video")).size());
        Object playable = ((JavascriptExecutor) driver).executeScript(
                "return Array.from(document.querySelectorAll('video')).every(v => v.controls && v.src.startsWith('file:'))");
        assertEquals(Boolean.TRUE, playable);
    }

    @Test
    void aBrokenPageIsCaught() throws Exception {
        // The check itself works: a page with a missing image logs an error.
        Path bad = tmp.resolve("bad.html");
        Files.writeString(bad, "<!DOCTYPE html><html><body><img src=\"missing.png\"/></body></html>");
        List<String> errors = open(bad);
        assertTrue(errors.stream().anyMatch(e -> e.contains("missing.png")), errors.toString());
    }
}
