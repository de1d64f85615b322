import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import dev.qvgen.metrics.toy.*;
import dev.qvgen.models.toy.*;
import dev.qvgen.suites.toy.*;
import dev.qvgen.video.*;
import java.nio.file.*;
import java.util.*;

/** Per noise level: x0-prediction MSE (all pixels, object pixels) and the scorer on the one-step x0 prediction of real clips. */
public class Diag2 {
    public static void main(String[] a) throws Exception {
        dev.qvgen.harness.Djl.configure(1);
        ToyWorld world = ToyWorld.defaults();
        ToyVocabulary vocab = new ToyVocabulary();
        int n = Integer.parseInt(a[1]);
        int F = 8, H = 32, W = 32, plane = F * H * W, len = ToyVocabulary.DEFAULT_MAX_LENGTH;
        Random rng = new Random(12345);
        List<ToyScene> scenes = new ArrayList<>();
        float[] x0 = new float[n * 3 * plane];
        long[] ids = new long[n * len];
        for (int i = 0; i < n; i++) {
            ToyScene s = world.sampleScene(rng);
            scenes.add(s);
            float[][][][] fr = world.render(s);
            for (int c = 0; c < 3; c++) for (int t = 0; t < F; t++) for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
                x0[(i * 3 + c) * plane + (t * H + y) * W + x] = fr[t][y][x][c] * 2f - 1f;
            int[] tok = vocab.encode(s.caption(), len);
            for (int k = 0; k < tok.length; k++) ids[i * len + k] = tok[k];
        }
        float[] noise = new float[x0.length];
        for (int i = 0; i < noise.length; i++) noise[i] = (float) rng.nextGaussian();
        float bg = ToyWorld.background()[0] * 2 - 1;
        try (NDManager m = NDManager.newBaseManager()) {
            ToyVideoModel model = ToyVideoModel.load(Path.of(a[0]), m);
            NDArray text = model.textEncoder().forward(m.create(ids, new Shape(n, len)));
            for (double sg : new double[] {0.1, 0.3, 0.5, 0.7, 0.9}) {
                float[] xt = new float[x0.length];
                for (int i = 0; i < xt.length; i++) xt[i] = (float) ((1 - sg) * x0[i] + sg * noise[i]);
                float[] pred;
                try (NDScope sc = new NDScope()) {
                    NDArray out = model.transformer().forward(model.input(m.create(xt, new Shape(n, 3, F, H, W))), m.full(new Shape(n), (float) (1000 * sg)), text);
                    pred = out.toFloatArray();
                }
                double all = 0, obj = 0; int nobj = 0;
                for (int i = 0; i < x0.length; i++) {
                    double e = (pred[i] - x0[i]) * (pred[i] - x0[i]);
                    all += e;
                    if (Math.abs(x0[i] - bg) > 0.1) { obj += e; nobj++; }
                }
                // score the one-step predictions
                double col = 0, shp = 0, mot = 0; int objs = 0;
                for (int i = 0; i < n; i++) {
                    float[][][][] fr = new float[F][H][W][3];
                    for (int c = 0; c < 3; c++) for (int t = 0; t < F; t++) for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
                        fr[t][y][x][c] = Math.max(0f, Math.min(1f, (pred[(i * 3 + c) * plane + (t * H + y) * W + x] + 1f) / 2f));
                    DecodedVideo v = DecodedVideo.fromFloats(fr, 8);
                    for (ToyTrack tr : ToyTracker.track(v, scenes.get(i))) {
                        objs++;
                        col += (double) tr.colourFrames() / tr.frameCount();
                        shp += tr.perFrame().stream().filter(b -> b != null && b.shape() == tr.expected().shape()).count() / (double) tr.frameCount();
                        mot += Diag.motionOk(tr) ? 1 : 0;
                    }
                }
                System.out.printf(Locale.ROOT, "sigma=%.1f mse_all=%.4f mse_obj=%.4f (obj px %.1f%%) | one-step x0 scored: colour=%.3f shape=%.3f motion=%.3f%n",
                        sg, all / x0.length, obj / nobj, 100.0 * nobj / x0.length, col / objs, shp / objs, mot / objs);
            }
        }
    }
}
