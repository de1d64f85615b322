import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import dev.qvgen.models.toy.*;
import dev.qvgen.suites.toy.*;
import java.nio.file.*;
import java.util.*;

/**
 * Does the model read the direction word? One-object real clips, noised to sigma, predicted (one step, x0) under
 * the true caption and under the caption with the opposite direction word. Prints the mean drift of the object's
 * colour-mass centroid along the TRUE direction (frame 0 to 7; the clip's own drift is 8.75 or 17.5 px) and the
 * same along the captioned direction. A model that reads the word moves the drift toward the caption as sigma grows.
 */
public class Diag6 {
    static final int F = 8, H = 32, W = 32, PLANE = F * H * W, LEN = ToyVocabulary.DEFAULT_MAX_LENGTH;

    public static void main(String[] a) throws Exception {
        dev.qvgen.harness.Djl.configure(1);
        int n = Integer.parseInt(a[1]);
        ToyVocabulary vocab = new ToyVocabulary();
        ToyWorld world = ToyWorld.defaults();
        Random rng = new Random(4242);
        List<ToyObject> objs = new ArrayList<>();
        float[] x0 = new float[n * 3 * PLANE];
        long[] idsTrue = new long[n * LEN], idsFlip = new long[n * LEN];
        for (int i = 0; i < n; i++) {
            ToyScene s;
            do { s = world.sampleScene(rng); } while (s.objects().size() != 1);
            ToyObject o = s.objects().get(0);
            objs.add(o);
            float[][][][] fr = world.render(s);
            for (int c = 0; c < 3; c++) for (int t = 0; t < F; t++) for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
                x0[(i * 3 + c) * PLANE + (t * H + y) * W + x] = fr[t][y][x][c] * 2f - 1f;
            ToyDirection flip = switch (o.direction()) { case LEFT -> ToyDirection.RIGHT; case RIGHT -> ToyDirection.LEFT;
                case UP -> ToyDirection.DOWN; case DOWN -> ToyDirection.UP; };
            int[] t1 = vocab.encode(s.caption(), LEN);
            String mode = System.getProperty("flip", "direction");
            ToyObject other = switch (mode) {
                case "direction" -> ToyObject.unplaced(o.color(), o.shape(), flip, o.speed());
                case "shape" -> ToyObject.unplaced(o.color(), ToyShape.values()[(o.shape().ordinal() + 1) % 3], o.direction(), o.speed());
                case "colour" -> ToyObject.unplaced(ToyColor.values()[(o.color().ordinal() + 1) % ToyColor.values().length], o.shape(), o.direction(), o.speed());
                default -> throw new IllegalArgumentException("-Dflip=direction|shape|colour, got " + mode);
            };
            int[] t2 = vocab.encode(ToyScene.of(other).caption(), LEN);
            for (int k = 0; k < LEN; k++) { idsTrue[i * LEN + k] = t1[k]; idsFlip[i * LEN + k] = t2[k]; }
        }
        float[] noise = new float[x0.length];
        for (int i = 0; i < noise.length; i++) noise[i] = (float) rng.nextGaussian();
        try (NDManager m = NDManager.newBaseManager()) {
            ToyVideoModel model = ToyVideoModel.load(Path.of(a[0]), m);
            for (double sg : new double[] {0.5, 0.7, 0.8, 0.9, 0.95, 0.99}) {
                float[] xt = new float[x0.length];
                for (int i = 0; i < xt.length; i++) xt[i] = (float) ((1 - sg) * x0[i] + sg * noise[i]);
                double[] dTrue = drifts(model, m, xt, idsTrue, n, sg, objs);
                double[] dFlip = drifts(model, m, xt, idsFlip, n, sg, objs);
                System.out.printf(Locale.ROOT, "sigma=%.2f |pred(flipped) - pred(true)| / |pred(true) - x0| = %.3f%n", sg, relChange(model, m, xt, idsTrue, idsFlip, n, sg, x0));
                System.out.printf(Locale.ROOT, "sigma=%.2f drift along the clip's direction: true caption %6.2f px, flipped caption %6.2f px"
                        + " (sign right: %.2f / %.2f)%n", sg, dTrue[0], dFlip[0], dTrue[1], dFlip[1]);
            }
        }
    }

    static float[] predict(ToyVideoModel model, NDManager m, float[] xt, long[] ids, int n, double sg) {
        try (NDScope sc = new NDScope()) {
            NDArray text = model.textEncoder().forward(m.create(ids, new Shape(n, LEN)));
            return model.transformer().forward(model.input(m.create(xt, new Shape(n, 3, F, H, W))), m.full(new Shape(n), (float) (1000 * sg)), text).toFloatArray();
        }
    }

    static double relChange(ToyVideoModel model, NDManager m, float[] xt, long[] a, long[] b, int n, double sg, float[] x0) {
        float[] p = predict(model, m, xt, a, n, sg), q = predict(model, m, xt, b, n, sg);
        double d = 0, e = 0;
        for (int i = 0; i < p.length; i++) { d += (p[i] - q[i]) * (p[i] - q[i]); e += (p[i] - x0[i]) * (p[i] - x0[i]); }
        return Math.sqrt(d / e);
    }

    static double[] drifts(ToyVideoModel model, NDManager m, float[] xt, long[] ids, int n, double sg, List<ToyObject> objs) {
        float[] pred;
        try (NDScope sc = new NDScope()) {
            NDArray text = model.textEncoder().forward(m.create(ids, new Shape(n, LEN)));
            pred = model.transformer().forward(model.input(m.create(xt, new Shape(n, 3, F, H, W))), m.full(new Shape(n), (float) (1000 * sg)), text).toFloatArray();
        }
        double sum = 0, right = 0;
        for (int i = 0; i < n; i++) {
            ToyObject o = objs.get(i);
            float[] rgb = o.color().rgb();
            double[][] c = new double[F][];
            for (int t = 0; t < F; t++) {
                double sx = 0, sy = 0, sw = 0;
                for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) {
                    int off = (t * H + y) * W + x;
                    // closeness to the object's colour (in [-1,1] units), as a soft mask
                    double d2 = 0;
                    for (int k = 0; k < 3; k++) { double v = pred[(i * 3 + k) * PLANE + off] - (rgb[k] * 2 - 1); d2 += v * v; }
                    double wgt = Math.exp(-d2 / 0.3);
                    sx += wgt * x; sy += wgt * y; sw += wgt;
                }
                c[t] = new double[] {sx / sw, sy / sw};
            }
            double along = (c[F - 1][0] - c[0][0]) * o.direction().dx() + (c[F - 1][1] - c[0][1]) * o.direction().dy();
            sum += along;
            right += along > 0 ? 1 : 0;
        }
        return new double[] {sum / n, right / n};
    }
}
