package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.ForwardContext;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Tensors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Our QAT classes against ModelTC/QVGen's own quantization code
 * (src/test/resources/qvgen-official/make_fixture.py imports training/quant/quant.py from a QVGen
 * checkout and runs its QuantLinear with the "progressive_lora" weight quantizer and the
 * "learnable_clipped_dynamic" activation quantizer on a 16x24 layer): the MSE-searched initial
 * range, Φ's initial SVD, one forward and backward at W3A3 and W4A4, and a rank-decay schedule
 * (8 → 4 → 2 → 1 → removed, period 3) with the official re-SVD of trained factors. Every tensor
 * within relative L2 1e-4.
 */
class QvgenOfficialParityTest {
    static final double TOL = 1e-4;
    static NDManager manager;
    static SafeTensorsFile golden;
    static JsonObject config;
    static JsonObject schedule;
    static double worst;
    static String worstName = "";

    @BeforeAll
    static void load() throws Exception {
        Path dir = Path.of(QvgenOfficialParityTest.class.getResource("/qvgen-official/golden.json").toURI()).getParent();
        JsonObject json = JsonParser.parseString(Files.readString(dir.resolve("golden.json"))).getAsJsonObject();
        config = json.getAsJsonObject("config");
        schedule = json.getAsJsonObject("schedule");
        manager = NDManager.newBaseManager();
        golden = SafeTensorsFile.open(dir.resolve("golden.safetensors"));
    }

    @AfterAll
    static void close() {
        System.out.printf("QVGen parity: largest rel L2 %.3g (%s)%n", worst, worstName);
        golden.close();
        manager.close();
    }

    static NDArray g(String name) {
        return golden.load(name, manager);
    }

    static int cfg(String key) {
        return config.get(key).getAsInt();
    }

    static void close(String what, NDArray ours, NDArray theirs) {
        assertEquals(theirs.getShape().size(), ours.getShape().size(), what + ": size");
        double rel = Tensors.relativeL2(ours.reshape(theirs.getShape()), theirs);
        if (rel > worst) {
            worst = rel;
            worstName = what;
        }
        assertTrue(rel < TOL, what + ": rel L2 " + rel);
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4})
    void initialRangeAndPhiMatchTheOfficialInitialisation(int bits) {
        String p = "init.w" + bits + ".";
        LsqPlusWeightQuantizer wq = LsqPlusWeightQuantizer.initialise(g("w0"), bits, manager);
        close(p + "scale", wq.scale(), g(p + "scale"));
        close(p + "zero", wq.zero(), g(p + "zero"));
        LowRankBranch phi = LowRankBranch.fromResidual(g("w0"), wq.forward(g("w0")), cfg("rank"), manager);
        assertEquals(cfg("rank"), phi.rank());
        float[] signs = alignSigns(phi.left(), g(p + "L"), cfg("rank"));
        close(p + "L (component signs aligned)", flipColumns(phi.left(), signs), g(p + "L"));
        close(p + "R (component signs aligned)", flipRows(phi.right(), signs), g(p + "R"));
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4})
    void forwardAndEveryGradientMatchTheOfficialQuantLinear(int bits) {
        String init = "init.w" + bits + ".";
        State s = new State(bits, Map.of("w", g("w0"), "b", g("b0"), "scale", g(init + "scale"), "zero",
                g(init + "zero"), "lower", g(init + "lower"), "upper", g(init + "upper"), "L", g(init + "L"), "R",
                g(init + "R")), cfg("rank"));
        s.stepAndCompare("fwd.w" + bits + ".");
    }

    @Test
    void rankDecayScheduleMatchesTheOfficialSetAlphaLR() {
        int steps = cfg("steps");
        RankDecay decay = new RankDecay(cfg("alpha_T"), true);
        JsonArray ranks = schedule.getAsJsonArray("rank");
        JsonArray alphas = schedule.getAsJsonArray("alpha");
        int halvings = 0;
        for (int k = 0; k < steps; k++) {
            String before = "sched." + k + ".before.";
            Map<String, NDArray> t = new LinkedHashMap<>();
            for (String n : new String[] {"w", "b", "scale", "zero", "lower", "upper", "L", "R"}) {
                if (golden.names().contains(before + n)) {
                    t.put(n, g(before + n));
                }
            }
            // the rank Φ had before this step: the official state's rank after the previous one
            int rankBefore = k == 0 ? cfg("rank") : ranks.get(k - 1).getAsInt();
            State s = new State(3, t, rankBefore);
            RankDecay.Event e = s.phi == null ? RankDecay.Event.REMOVED : decay.apply(s.phi, k);
            int expectedRank = ranks.get(k).getAsInt();
            if (e == RankDecay.Event.REMOVED) {
                s.phi = null;
                assertEquals(0, expectedRank, "step " + k + ": removed where the official Φ has rank " + expectedRank);
            } else {
                assertEquals(expectedRank, s.phi.rank(), "step " + k + ": rank");
                JsonArray a = alphas.get(k).getAsJsonArray();
                float[] ours = s.phi.alpha();
                for (int i = 0; i < a.size(); i++) {
                    assertEquals(a.get(i).getAsFloat(), ours[i], 1e-6, "step " + k + ": alpha[" + i + "]");
                }
                if (e == RankDecay.Event.HALVED) {
                    halvings++;
                    int r = s.phi.rank();
                    // the re-SVD: the kept components re-factored; only the first r are live (the
                    // official code leaves stale columns behind alpha 0, ours are zero)
                    NDArray theirL = g("sched." + k + ".after.L").get(":, 0:" + r);
                    NDArray theirR = g("sched." + k + ".after.R").get("0:" + r + ", :");
                    float[] signs = alignSigns(s.phi.left().get(":, 0:" + r), theirL, r);
                    close("step " + k + " re-SVD L", flipColumns(s.phi.left().get(":, 0:" + r), signs), theirL);
                    close("step " + k + " re-SVD R", flipRows(s.phi.right().get("0:" + r + ", :"), signs), theirR);
                    // continue from the official factors, so the step compares the same state
                    s.setPhiFactors(g("sched." + k + ".after.L"), g("sched." + k + ".after.R"), r, ours);
                }
            }
            s.stepAndCompare("sched." + k + ".");
        }
        assertEquals(3, halvings, "8 -> 4 -> 2 -> 1");
    }

    /** A QuantLinear's trainable state in our classes, from given tensors. */
    final class State {
        final Linear layer;
        final LsqPlusWeightQuantizer wq;
        final ClippedDynamicActQuantizer aq;
        LowRankBranch phi;
        final Map<String, NDArray> trained = new LinkedHashMap<>();

        State(int bits, Map<String, NDArray> t, int rank) {
            int in = cfg("in");
            int out = cfg("out");
            layer = new Linear(in, out, true);
            layer.getParameters().get("weight").setArray(t.get("w").duplicate());
            layer.getParameters().get("bias").setArray(t.get("b").duplicate());
            wq = new LsqPlusWeightQuantizer(bits, t.get("scale").duplicate(), t.get("zero").duplicate(), in);
            aq = new ClippedDynamicActQuantizer(bits, t.get("lower").duplicate(), t.get("upper").duplicate());
            trained.put("w", layer.weight());
            trained.put("b", layer.biasOrNull());
            trained.put("scale", wq.scale());
            trained.put("zero", wq.zero());
            trained.put("lower", aq.lowerLogits());
            trained.put("upper", aq.upperLogits());
            if (t.containsKey("L")) {
                phi = new LowRankBranch(t.get("L").duplicate(), t.get("R").duplicate(), rank);
            }
        }

        void setPhiFactors(NDArray l, NDArray r, int rank, float[] alpha) {
            phi = new LowRankBranch(l.duplicate(), r.duplicate(), rank);
            phi.setAlpha(alpha);
        }

        QatLinearKernel kernel() {
            return new QatLinearKernel(wq, aq, phi);
        }

        /** One forward at the fixture's timestep group and the backward of sum(y * g), against the official. */
        void stepAndCompare(String prefix) {
            Map<String, NDArray> params = new LinkedHashMap<>(trained);
            if (phi != null) {
                params.put("L", phi.left());
                params.put("R", phi.right());
            }
            NDArray x = g("x");
            params.put("x", x);
            params.values().forEach(a -> a.setRequiresGradient(true));
            layer.setKernel(kernel());
            // our groups are floor(t / 1000 * G); the official set_idx(t) is t mod G: a timestep
            // in the middle of the fixture's group selects the same logits in both
            float t = (cfg("group") + 0.5f) * 1000f / cfg("groups");
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector();
                    ForwardContext.Scope scope = ForwardContext.timesteps(manager.create(new float[] {t, t}))) {
                y = layer.forward(x);
                gc.backward(y.mul(g("g")).sum());
            }
            java.util.List<org.junit.jupiter.api.function.Executable> checks = new java.util.ArrayList<>();
            checks.add(() -> close(prefix + "y", y, g(prefix + "y")));
            for (var e : params.entrySet()) {
                NDArray grad = e.getValue().getGradient();
                checks.add(() -> close(prefix + "grad." + e.getKey(), grad, g(prefix + "grad." + e.getKey())));
            }
            org.junit.jupiter.api.Assertions.assertAll(prefix, checks);
            params.values().forEach(a -> a.setRequiresGradient(false));
        }
    }

    /** +1/-1 per component so that our column k of L points the way the official one does. */
    static float[] alignSigns(NDArray ours, NDArray theirs, int r) {
        float[] s = new float[r];
        for (int k = 0; k < r; k++) {
            float dot = ours.get(":, " + k).mul(theirs.get(":, " + k)).sum().getFloat();
            s[k] = dot < 0 ? -1f : 1f;
        }
        return s;
    }

    static NDArray flipColumns(NDArray l, float[] s) {
        return l.mul(manager.create(s, new Shape(1, s.length)));
    }

    static NDArray flipRows(NDArray r, float[] s) {
        return r.mul(manager.create(s, new Shape(s.length, 1)));
    }
}
