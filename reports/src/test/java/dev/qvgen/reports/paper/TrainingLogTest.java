package dev.qvgen.reports.paper;

import dev.qvgen.reports.ReportInput;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingLogTest {
    @TempDir
    Path dir;

    Path log(int layers) throws Exception {
        StringBuilder sb = new StringBuilder("step,loss,grad_norm,lr_factor");
        for (int l = 0; l < layers; l++) {
            sb.append(",rank:blocks.").append(l).append(".attn1.to_q");
        }
        sb.append('\n');
        for (int s = 1; s <= 4; s++) {
            sb.append(s).append(',').append(1.0 / s).append(',').append(10.0 / s).append(",0.5");
            for (int l = 0; l < layers; l++) {
                sb.append(',').append(Math.max(0, 8 - 2 * s - l));
            }
            sb.append('\n');
        }
        Path f = dir.resolve("log" + layers + ".csv");
        Files.writeString(f, sb.toString());
        return f;
    }

    @Test
    void readsColumnsAndRanks() throws Exception {
        TrainingLog l = TrainingLog.read(log(2), "qvgen");
        assertArrayEquals(new double[] {1, 2, 3, 4}, l.steps());
        assertArrayEquals(new double[] {10, 5, 10.0 / 3, 2.5}, l.gradNorm(), 1e-12);
        assertEquals(List.of("blocks.0.attn1.to_q", "blocks.1.attn1.to_q"), List.copyOf(l.ranks().keySet()));
        assertArrayEquals(new double[] {5, 3, 1, 0}, l.ranks().get("blocks.1.attn1.to_q"));
        ReportInput.Chart ranks = l.rankChart("r.svg");
        assertEquals(2, ranks.series().size());
        ReportInput.Chart grad = TrainingLog.gradNormChart("g.svg", List.of(l, TrainingLog.read(log(0), "lsq")));
        assertEquals(List.of("qvgen", "lsq"), grad.series().stream().map(s -> s.name()).toList());
        assertTrue(grad.logY());
    }

    @Test
    void readsEachGroupsGradientNormBesideTheOtherColumns() throws Exception {
        Path f = dir.resolve("groups.csv");
        Files.writeString(f, "step,loss,grad_norm,lr_factor,seconds,rank:a,grad_norm:weights,grad_norm:phi\n"
                + "1,0.5,5,1,0.2,4,3,4\n2,0.4,10,1,0.2,2,6,8\n");
        TrainingLog l = TrainingLog.read(f, "qvgen");
        assertArrayEquals(new double[] {5, 10}, l.gradNorm());
        assertArrayEquals(new double[] {4, 2}, l.ranks().get("a"));
        assertArrayEquals(new double[] {3, 6}, l.groupGradNorms().get("weights"));
        assertArrayEquals(new double[] {3, 6}, l.ofGroup("weights").gradNorm());
        assertArrayEquals(new double[] {4, 8}, l.ofGroup("phi").gradNorm());
        assertEquals(null, l.ofGroup("lora"));
        assertEquals(null, TrainingLog.read(log(2), "old").ofGroup("weights"), "older logs have no groups");
    }

    @Test
    void manyLayersAreSummarised() throws Exception {
        ReportInput.Chart c = TrainingLog.read(log(12), "qvgen").rankChart("r.svg");
        assertEquals(List.of("mean over 12 layers", "min", "max"), c.series().stream().map(s -> s.name()).toList());
        assertEquals(6.0, c.series().get(2).points().get(0)[1]);
    }

    @Test
    void badLogsAreOneLineErrors() throws Exception {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "step,loss,grad,lr_factor\n1,2,3,4\n");
        IllegalArgumentException h = assertThrows(IllegalArgumentException.class, () -> TrainingLog.read(bad, "x"));
        assertTrue(h.getMessage().startsWith(bad + ":1: bad header"), h.getMessage());
        Files.writeString(bad, "step,loss,grad_norm,lr_factor,rank:a\n1,2,3,4,5\n2,2,x,4,5\n");
        IllegalArgumentException v = assertThrows(IllegalArgumentException.class, () -> TrainingLog.read(bad, "x"));
        assertEquals(bad + ":3: column grad_norm: 'x' is not a number", v.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainingLog.read(dir.resolve("none.csv"), "x"));
    }
}
