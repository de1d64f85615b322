package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiscriminationTest {
    static List<ResultRow> rows(String method, String bits, String dim, double... perVideo) {
        List<ResultRow> out = new ArrayList<>();
        for (int i = 0; i < perVideo.length; i++) {
            // two seeds per prompt
            out.add(new ResultRow(method, bits, i / 2, "p" + i / 2, i % 2, "v", Map.of(dim, perVideo[i]), null));
        }
        return out;
    }

    @Test
    void aConstantColumnDoesNotDiscriminate() {
        List<ResultRow> all = new ArrayList<>(rows("fp", "fp32", "dynamic_degree", 1, 1, 1, 1, 1, 1, 1, 1));
        all.addAll(rows("rtn", "w3a3", "dynamic_degree", 1, 1, 1, 1, 1, 1, 1, 1));
        Discrimination.Result r = Discrimination.of(all, List.of("dynamic_degree"), "fp fp32", "rtn w3a3")
                .get("dynamic_degree");
        assertFalse(r.separates());
        assertEquals(4, r.prompts());
        assertTrue(r.note("fp fp32", "rtn w3a3").startsWith("dynamic_degree: does not discriminate on this world"));
    }

    @Test
    void aConsistentDropSeparatesAndNoiseDoesNot() {
        List<ResultRow> all = new ArrayList<>(rows("fp", "fp32", "toy_shape", 0.9, 0.8, 0.95, 0.85, 0.9, 0.8, 0.7, 0.9));
        all.addAll(rows("rtn", "w3a3", "toy_shape", 0.3, 0.4, 0.2, 0.3, 0.35, 0.25, 0.4, 0.3));
        assertTrue(Discrimination.of(all, List.of("toy_shape"), "fp fp32", "rtn w3a3").get("toy_shape").separates());
        List<ResultRow> noisy = new ArrayList<>(rows("fp", "fp32", "toy_shape", 0.5, 0.6, 0.4, 0.5, 0.6, 0.4, 0.5, 0.5));
        noisy.addAll(rows("rtn", "w3a3", "toy_shape", 0.6, 0.4, 0.5, 0.4, 0.5, 0.6, 0.4, 0.6));
        assertFalse(Discrimination.of(noisy, List.of("toy_shape"), "fp fp32", "rtn w3a3").get("toy_shape").separates());
    }

    @Test
    void withoutBothGroupsThereIsNothingToJudge() {
        List<ResultRow> fpOnly = rows("fp", "fp32", "toy_shape", 0.9, 0.8);
        assertTrue(Discrimination.of(fpOnly, List.of("toy_shape"), "fp fp32", "rtn w3a3").isEmpty());
    }
}
