import dev.qvgen.metrics.toy.*;
import dev.qvgen.suites.toy.*;
import dev.qvgen.video.*;
import java.nio.file.*;
import java.util.*;

public class Diag {
    public static void main(String[] a) throws Exception {
        Path dir = Path.of(a[0]);
        boolean verbose = a.length > 1;
        int objs = 0, static_ = 0, wrongDir = 0, wrongSpeedSlow = 0, wrongSpeedFast = 0, ok = 0, acrossFail = 0, lost = 0;
        Map<String, Integer> shapeConf = new TreeMap<>();
        List<Path> files;
        try (var s = Files.list(dir)) { files = s.filter(p -> p.toString().endsWith(".mp4")).sorted().toList(); }
        for (Path f : files) {
            String name = f.getFileName().toString();
            String caption = name.substring(0, name.lastIndexOf('-'));
            ToyScene scene = ToyScene.parse(caption);
            DecodedVideo v = Mp4Reader.decode(f);
            List<ToyTrack> tracks = ToyTracker.track(v, scene);
            for (ToyTrack t : tracks) {
                objs++;
                List<double[]> pts = new ArrayList<>();
                StringBuilder sh = new StringBuilder();
                for (int i = 0; i < t.frameCount(); i++) {
                    ToyBlob b = t.perFrame().get(i);
                    if (b != null) {
                        pts.add(new double[] {i, b.centroidX(), b.centroidY()});
                        String k = t.expected().shape() + "->" + b.shape();
                        shapeConf.merge(k, 1, Integer::sum);
                        sh.append(b.shape().toString().charAt(0)).append(b.area()).append(' ');
                    } else { sh.append("- "); shapeConf.merge(t.expected().shape() + "->none", 1, Integer::sum); }
                }
                if (pts.size() < 2) { lost++; continue; }
                int span = t.frameCount() - 1;
                double dx = slope(pts, 1) * span, dy = slope(pts, 2) * span;
                int ux = t.expected().direction().dx(), uy = t.expected().direction().dy();
                double along = dx * ux + dy * uy, across = Math.abs(dx * uy - dy * ux);
                double D = t.expected().speed().pixelsPerFrame() * span;
                String cat;
                if (Math.hypot(dx, dy) < 3) cat = "static";
                else if (along <= 0) cat = "wrongdir";
                else if (along < D / Math.sqrt(2)) cat = "tooslow";
                else if (along > D * Math.sqrt(2)) cat = "toofast";
                else if (across > 0.5 * along) cat = "across";
                else cat = "ok";
                switch (cat) { case "static" -> static_++; case "wrongdir" -> wrongDir++; case "tooslow" -> wrongSpeedSlow++;
                    case "toofast" -> wrongSpeedFast++; case "across" -> acrossFail++; default -> ok++; }
                if (verbose) System.out.printf(Locale.ROOT, "%-40s D=%5.1f along=%6.1f across=%5.1f %-8s %s%n", t.expected().phrase(), D, along, across, cat, sh);
            }
        }
        System.out.printf("objects=%d motion ok=%d static(|d|<3px)=%d wrongdir=%d tooslow=%d toofast=%d across=%d lost=%d%n",
                objs, ok, static_, wrongDir, wrongSpeedSlow, wrongSpeedFast, acrossFail, lost);
        System.out.println("shape expected->detected (object-frames): " + shapeConf);
    }
    static boolean motionOk(ToyTrack t) {
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < t.frameCount(); i++) { ToyBlob b = t.perFrame().get(i); if (b != null) pts.add(new double[] {i, b.centroidX(), b.centroidY()}); }
        if (pts.size() < 2) return false;
        int span = t.frameCount() - 1;
        double dx = slope(pts, 1) * span, dy = slope(pts, 2) * span;
        int ux = t.expected().direction().dx(), uy = t.expected().direction().dy();
        double along = dx * ux + dy * uy, across = Math.abs(dx * uy - dy * ux);
        double D = t.expected().speed().pixelsPerFrame() * span;
        return along >= D / Math.sqrt(2) && along <= D * Math.sqrt(2) && across <= 0.5 * along;
    }
    static double slope(List<double[]> p, int k) {
        double mt = 0, mv = 0; for (double[] q : p) { mt += q[0]; mv += q[k]; } mt /= p.size(); mv /= p.size();
        double c = 0, v = 0; for (double[] q : p) { c += (q[0] - mt) * (q[k] - mv); v += (q[0] - mt) * (q[0] - mt); }
        return c / v;
    }
}
