import ai.djl.ndarray.*;
import dev.qvgen.metrics.toy.*;
import dev.qvgen.models.toy.*;
import dev.qvgen.suites.toy.*;
import dev.qvgen.video.*;
import java.nio.file.*;
import java.util.*;

/** FP generation on the 32 suite prompts x seeds {0,1} with given sampler settings; scorer on the float frames (no H.264). */
public class Diag3 {
    public static void main(String[] a) throws Exception {
        dev.qvgen.harness.Djl.configure(1);
        ToyVocabulary vocab = new ToyVocabulary();
        List<ToyPrompt> prompts = ToyPromptSuite.standard();
        try (NDManager m = NDManager.newBaseManager()) {
            ToyVideoModel model = ToyVideoModel.load(Path.of(a[0]), m);
            ToyPipeline pipe = new ToyPipeline(model, 8, 32, 32);
            for (int k = 1; k < a.length; k++) {
                String[] p = a[k].split(",");
                ToyPipeline.Settings s = new ToyPipeline.Settings(Integer.parseInt(p[0]), Float.parseFloat(p[1]), Double.parseDouble(p[2]));
                double col = 0, shp = 0, mot = 0; int objs = 0;
                long t0 = System.nanoTime();
                for (int seed = 0; seed < 2; seed++) {
                    for (int b0 = 0; b0 < prompts.size(); b0 += 16) {
                        List<long[]> ids = new ArrayList<>(); List<Long> seeds = new ArrayList<>();
                        for (int i = b0; i < b0 + 16; i++) {
                            int[] tok = vocab.encode(prompts.get(i).caption(), ToyVocabulary.DEFAULT_MAX_LENGTH);
                            long[] l = new long[tok.length]; for (int j = 0; j < tok.length; j++) l[j] = tok[j];
                            ids.add(l); seeds.add((long) seed);
                        }
                        float[][][][][] vids = pipe.generate(m, ids, seeds, s);
                        for (int i = 0; i < 16; i++) {
                            DecodedVideo v = DecodedVideo.fromFloats(vids[i], 8);
                            for (ToyTrack tr : ToyTracker.track(v, prompts.get(b0 + i).scene())) {
                                objs++;
                                col += (double) tr.colourFrames() / tr.frameCount();
                                shp += tr.perFrame().stream().filter(b -> b != null && b.shape() == tr.expected().shape()).count() / (double) tr.frameCount();
                                mot += Diag.motionOk(tr) ? 1 : 0;
                            }
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "steps=%s guidance=%s shift=%s  per-object: colour=%.3f shape=%.3f motion=%.3f  (%d objects, %.0f s)%n",
                        p[0], p[1], p[2], col / objs, shp / objs, mot / objs, objs, (System.nanoTime() - t0) / 1e9);
            }
        }
    }
}
