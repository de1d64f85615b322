import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import dev.qvgen.metrics.toy.*;
import dev.qvgen.models.toy.*;
import dev.qvgen.suites.toy.*;
import dev.qvgen.video.*;
import java.nio.file.*;
import java.util.*;

/** SDEdit: noise a real suite clip to sigma_start, sample down with CFG-4 Euler (x0 param, 20 steps shifted by 3 over [sigma_start,0]), score. */
public class Diag4 {
    public static void main(String[] a) throws Exception {
        dev.qvgen.harness.Djl.configure(1);
        ToyWorld world = ToyWorld.defaults();
        ToyVocabulary vocab = new ToyVocabulary();
        List<ToyPrompt> prompts = ToyPromptSuite.standard();
        int n = prompts.size(), F = 8, H = 32, W = 32, plane = F * H * W, len = ToyVocabulary.DEFAULT_MAX_LENGTH;
        Random rng = new Random(7);
        List<ToyScene> scenes = new ArrayList<>();
        float[] x0 = new float[n * 3 * plane];
        long[] ids = new long[n * len];
        for (int i = 0; i < n; i++) {
            ToyScene s = world.placeScene(prompts.get(i).scene(), rng);
            scenes.add(s);
            float[][][][] fr = world.render(s);
            for (int c = 0; c < 3; c++) for (int t = 0; t < F; t++) for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
                x0[(i * 3 + c) * plane + (t * H + y) * W + x] = fr[t][y][x][c] * 2f - 1f;
            int[] tok = vocab.encode(prompts.get(i).caption(), len);
            for (int k = 0; k < tok.length; k++) ids[i * len + k] = tok[k];
        }
        float[] noise = new float[x0.length];
        for (int i = 0; i < noise.length; i++) noise[i] = (float) rng.nextGaussian();
        try (NDManager m = NDManager.newBaseManager()) {
            ToyVideoModel model = ToyVideoModel.load(Path.of(a[0]), m);
            NDArray cond = model.textEncoder().forward(m.create(ids, new Shape(n, len)));
            NDArray unc = model.textEncoder().forward(m.zeros(new Shape(n, len), DataType.INT64));
            NDArray text = NDArrays.concat(new NDList(cond, unc), 0);
            for (int k = 1; k < a.length; k++) {
                double s0 = Double.parseDouble(a[k]);
                int steps = 20;
                double[] sig = new double[steps + 1];
                for (int i = 0; i <= steps; i++) { double u = s0 * (1 - i / (double) steps); sig[i] = u == 0 ? 0 : 3 * u / (1 + 2 * u); }
                // shifted schedule rescaled so it starts at s0
                double top = sig[0]; for (int i = 0; i <= steps; i++) sig[i] = sig[i] * s0 / top;
                float[] xt = new float[x0.length];
                for (int i = 0; i < xt.length; i++) xt[i] = (float) ((1 - s0) * x0[i] + s0 * noise[i]);
                NDArray x = m.create(xt, new Shape(n, 3, F, H, W));
                for (int i = 0; i < steps; i++) {
                    try (NDScope sc = new NDScope()) {
                        NDArray in = model.input(NDArrays.concat(new NDList(x, x), 0));
                        NDArray out = model.transformer().forward(in, m.full(new Shape(2L * n), (float) (1000 * sig[i])), text);
                        NDList p = out.split(2, 0);
                        NDArray g = p.get(1).add(p.get(0).sub(p.get(1)).mul(Float.parseFloat(System.getProperty("g", "4"))));
                        NDArray nx = sig[i + 1] == 0 ? g : g.add(x.sub(g).mul((float) (sig[i + 1] / sig[i])));
                        NDScope.unregister(nx);
                        x.close(); x = nx;
                    }
                }
                float[] pred = x.toFloatArray();
                double col = 0, shp = 0, mot = 0; int objs = 0;
                for (int i = 0; i < n; i++) {
                    float[][][][] fr = new float[F][H][W][3];
                    for (int c = 0; c < 3; c++) for (int t = 0; t < F; t++) for (int y = 0; y < H; y++) for (int xx = 0; xx < W; xx++)
                        fr[t][y][xx][c] = Math.max(0f, Math.min(1f, (pred[(i * 3 + c) * plane + (t * H + y) * W + xx] + 1f) / 2f));
                    for (ToyTrack tr : ToyTracker.track(DecodedVideo.fromFloats(fr, 8), scenes.get(i))) {
                        objs++;
                        col += (double) tr.colourFrames() / tr.frameCount();
                        shp += tr.perFrame().stream().filter(b -> b != null && b.shape() == tr.expected().shape()).count() / (double) tr.frameCount();
                        mot += Diag.motionOk(tr) ? 1 : 0;
                    }
                }
                System.out.printf(Locale.ROOT, "sdedit sigma_start=%.2f: colour=%.3f shape=%.3f motion=%.3f (%d objects)%n", s0, col / objs, shp / objs, mot / objs, objs);
            }
        }
    }
}
