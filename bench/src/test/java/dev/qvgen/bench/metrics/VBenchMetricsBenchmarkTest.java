package dev.qvgen.bench.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import org.junit.jupiter.api.Test;

/** The benchmark's clip is what it claims, and JMH's generator registered every benchmark. */
class VBenchMetricsBenchmarkTest {

    @Test
    void clipIsFortyNineMovingFramesOf480x832() {
        float[][][][] v = VBenchMetricsBenchmark.synthesise();
        assertEquals(49, v.length);
        assertEquals(480, v[0].length);
        assertEquals(832, v[0][0].length);
        double change = 0;
        for (int r = 0; r < 480; r += 7) {
            for (int c = 0; c < 832; c += 7) {
                for (int k = 0; k < 3; k++) {
                    float x = v[10][r][c][k];
                    assertTrue(x >= 0f && x <= 1f, "pixel out of range: " + x);
                    change += Math.abs(x - v[11][r][c][k]);
                }
            }
        }
        assertTrue(change > 100, "frames should move, total change " + change);
    }

    @Test
    void annotationProcessorListedEveryBenchmark() throws IOException {
        StringBuilder lists = new StringBuilder();
        // every BenchmarkList on the classpath (other modules' benchmarks may have their own)
        for (URL url : Collections.list(VBenchMetricsBenchmark.class.getClassLoader()
                .getResources("META-INF/BenchmarkList"))) {
            try (InputStream in = url.openStream()) {
                lists.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        String list = lists.toString();
        assertTrue(list.contains(VBenchMetricsBenchmark.class.getName()), "JMH's annotation processor did not run");
        for (String method : new String[] {"decode", "temporalFlickering", "dynamicDegreeFarneback",
            "motionSmoothnessAmt"}) {
            assertTrue(list.contains(method), method);
        }
    }
}
