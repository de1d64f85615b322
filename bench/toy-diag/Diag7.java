import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import dev.qvgen.metrics.toy.*;
import dev.qvgen.models.sched.FlowMatchEulerScheduler;
import dev.qvgen.models.toy.*;
import dev.qvgen.suites.toy.*;
import dev.qvgen.video.*;
import java.nio.file.*;
import java.util.*;

/**
 * Guidance applied only above a noise level (a guidance interval): FP generation on the 32 suite prompts x seeds
 * {0,1}, 20 steps, shift 3; args: model dir, then "guidance,sigmaLow" pairs (below sigmaLow the conditional
 * prediction alone). Scored per object on the float frames, as Diag3.
 */
public class Diag7 {
    public static void main(String[] a) throws Exception {
        dev.qvgen.harness.Djl.configure(1);
        ToyVocabulary vocab = new ToyVocabulary();
        List<ToyPrompt> prompts = ToyPromptSuite.standard();
        try (NDManager m = NDManager.newBaseManager()) {
            ToyVideoModel model = ToyVideoModel.load(Path.of(a[0]), m);
            ToyPipeline pipe = new ToyPipeline(model, 8, 32, 32);
            for (int k = 1; k < a.length; k++) {
                String[] p = a[k].split(",");
                float g = Float.parseFloat(p[0]);
                double low = Double.parseDouble(p[1]);
                double col = 0, shp = 0, mot = 0; int objs = 0;
                for (int seed = 0; seed < 2; seed++) {
                    for (int b0 = 0; b0 < prompts.size(); b0 += 16) {
                        int b = 16;
                        long[] ids = new long[b * 16];
                        float[] noise = new float[b * 3 * 8 * 32 * 32];
                        for (int i = 0; i < b; i++) {
                            int[] tok = vocab.encode(prompts.get(b0 + i).caption(), 16);
                            for (int j = 0; j < 16; j++) ids[i * 16 + j] = tok[j];
                            float[] n = pipe.noise(seed);
                            System.arraycopy(n, 0, noise, i * n.length, n.length);
                        }
                        FlowMatchEulerScheduler sched = new FlowMatchEulerScheduler(1000, 3.0);
                        sched.setTimesteps(20);
                        float[] ts = sched.timesteps();
                        NDArray x = m.create(noise, new Shape(b, 3, 8, 32, 32));
                        NDArray cond = model.textEncoder().forward(m.create(ids, new Shape(b, 16)));
                        NDArray unc = model.textEncoder().forward(m.zeros(new Shape(b, 16), DataType.INT64));
                        NDArray text = NDArrays.concat(new NDList(cond, unc), 0);
                        for (int i = 0; i < ts.length; i++) {
                            float sg = ts[i] / 1000f;
                            NDArray in = model.input(NDArrays.concat(new NDList(x, x), 0));
                            NDList parts = model.transformer().forward(in, m.full(new Shape(2L * b), ts[i]), text).split(2, 0);
                            float gi = sg >= low ? g : 1f;
                            NDArray x0 = parts.get(1).add(parts.get(0).sub(parts.get(1)).mul(gi));
                            x = sched.step(x.sub(x0).div(sg), i, x);
                        }
                        float[] out = x.clip(-1f, 1f).add(1f).mul(0.5f).toFloatArray();
                        int plane = 8 * 32 * 32;
                        for (int i = 0; i < b; i++) {
                            float[][][][] v = new float[8][32][32][3];
                            for (int c = 0; c < 3; c++) for (int f = 0; f < 8; f++) for (int y = 0; y < 32; y++) for (int xx = 0; xx < 32; xx++)
                                v[f][y][xx][c] = out[i * 3 * plane + c * plane + (f * 32 + y) * 32 + xx];
                            for (ToyTrack tr : ToyTracker.track(DecodedVideo.fromFloats(v, 8), prompts.get(b0 + i).scene())) {
                                objs++;
                                col += (double) tr.colourFrames() / tr.frameCount();
                                shp += tr.perFrame().stream().filter(o -> o != null && o.shape() == tr.expected().shape()).count() / (double) tr.frameCount();
                                mot += Diag.motionOk(tr) ? 1 : 0;
                            }
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "guidance=%s above sigma %s: per-object colour=%.3f shape=%.3f motion=%.3f (%d objects)%n",
                        p[0], p[1], col / objs, shp / objs, mot / objs, objs);
            }
        }
    }
}
