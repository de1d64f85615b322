import dev.qvgen.metrics.toy.*;
import dev.qvgen.suites.toy.*;
import dev.qvgen.video.*;
import java.nio.file.*;
import java.util.*;

/**
 * Asked direction x generated direction over a folder of MP4s named "<caption>-<seed>.mp4":
 * the generated direction is the dominant axis and sign of the tracked centroid's least-squares
 * displacement ("static" under 3 px, "lost" when tracked in fewer than 2 frames). Also asked
 * speed x measured speed (|along| / (F-1)) for objects that move the asked way, and asked shape x
 * detected shape per object-frame.
 */
public class Confusion {
    public static void main(String[] a) throws Exception {
        Path dir = Path.of(a[0]);
        String[] cols = {"left", "right", "up", "down", "static", "lost"};
        Map<String, int[]> dirConf = new LinkedHashMap<>();
        for (ToyDirection d : ToyDirection.values()) dirConf.put(d.word(), new int[cols.length]);
        Map<String, List<Double>> speeds = new TreeMap<>();
        Map<String, Map<String, Integer>> shapeConf = new TreeMap<>();
        List<Path> files;
        try (var s = Files.list(dir)) { files = s.filter(p -> p.toString().endsWith(".mp4")).sorted().toList(); }
        for (Path f : files) {
            String name = f.getFileName().toString();
            ToyScene scene = ToyScene.parse(name.substring(0, name.lastIndexOf('-')));
            DecodedVideo v = Mp4Reader.decode(f);
            for (ToyTrack t : ToyTracker.track(v, scene)) {
                List<double[]> pts = new ArrayList<>();
                for (int i = 0; i < t.frameCount(); i++) {
                    ToyBlob b = t.perFrame().get(i);
                    shapeConf.computeIfAbsent(t.expected().shape().toString(), k -> new TreeMap<>())
                            .merge(b == null ? "none" : b.shape().toString(), 1, Integer::sum);
                    if (b != null) pts.add(new double[] {i, b.centroidX(), b.centroidY()});
                }
                int[] row = dirConf.get(t.expected().direction().word());
                if (pts.size() < 2) { row[5]++; continue; }
                int span = t.frameCount() - 1;
                double dx = slope(pts, 1) * span, dy = slope(pts, 2) * span;
                int col;
                if (Math.hypot(dx, dy) < 3) col = 4;
                else if (Math.abs(dx) >= Math.abs(dy)) col = dx < 0 ? 0 : 1;
                else col = dy < 0 ? 2 : 3;
                row[col]++;
                if (cols[col].equals(t.expected().direction().word())) {
                    double along = Math.max(Math.abs(dx), Math.abs(dy)) / span;
                    speeds.computeIfAbsent(t.expected().speed().word(), k -> new ArrayList<>()).add(along);
                }
            }
        }
        System.out.printf("%-8s", "asked\\got");
        for (String c : cols) System.out.printf("%8s", c);
        System.out.println();
        dirConf.forEach((k, r) -> {
            System.out.printf("%-8s", k);
            for (int x : r) System.out.printf("%8d", x);
            System.out.println();
        });
        speeds.forEach((k, l) -> System.out.printf(Locale.ROOT, "speed %s (asked %.2f px/frame): n=%d measured mean %.2f %s%n", k,
                ToySpeed.fromWord(k).pixelsPerFrame(), l.size(), l.stream().mapToDouble(d -> d).average().orElse(0),
                l.stream().map(d -> String.format(Locale.ROOT, "%.1f", d)).toList()));
        System.out.println("shape asked -> detected (object-frames): " + shapeConf);
    }
    static double slope(List<double[]> p, int k) {
        double mt = 0, mv = 0; for (double[] q : p) { mt += q[0]; mv += q[k]; } mt /= p.size(); mv /= p.size();
        double c = 0, v = 0; for (double[] q : p) { c += (q[0] - mt) * (q[k] - mv); v += (q[0] - mt) * (q[0] - mt); }
        return c / v;
    }
}
