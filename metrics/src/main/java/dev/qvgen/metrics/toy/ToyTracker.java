package dev.qvgen.metrics.toy;

import dev.qvgen.video.DecodedVideo;
import dev.qvgen.suites.toy.ToyObject;
import dev.qvgen.suites.toy.ToyScene;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Follows each expected object through a video. Objects of a toy scene have distinct colours,
 * so in a frame an object is the largest region of its colour. Where no region has its colour,
 * the object is taken to be an unclaimed region of another palette colour (the one nearest
 * where the object was last seen, else the largest): a clip that draws the right shape moving
 * the right way in the wrong colour then loses on colour only, not on every component, so each
 * component measures one attribute. Regions of no palette colour (noise, smears) are never
 * taken. When several objects fall back, which of them claims first decides who gets which
 * region; of those orders the tracker keeps the one whose tracks agree best with the caption's
 * shapes and motions (as detection benchmarks match predictions to ground truth), the scene's
 * order on a tie.
 */
public final class ToyTracker {
    private ToyTracker() {
    }

    /** One track per expected object, in the scene's order. */
    public static List<ToyTrack> track(DecodedVideo video, ToyScene expected) {
        List<List<ToyBlob>> frames = new ArrayList<>();
        for (int t = 0; t < video.frameCount(); t++) {
            frames.add(ToyBlobDetector.detect(video, t));
        }
        List<ToyObject> objects = expected.objects();
        List<ToyTrack> best = null;
        double bestAgreement = -1;
        for (int[] order : orders(objects.size())) {
            List<ToyTrack> tracks = track(frames, objects, order);
            double agreement = 0;
            for (ToyTrack t : tracks) {
                agreement += ToyShapeMetric.shapeScore(t) + ToyMotionMetric.motionScore(t);
            }
            if (agreement > bestAgreement) {
                best = tracks;
                bestAgreement = agreement;
            }
        }
        return best;
    }

    private static List<ToyTrack> track(List<List<ToyBlob>> frames, List<ToyObject> objects, int[] fallbackOrder) {
        int n = objects.size();
        List<List<ToyBlob>> perObject = new ArrayList<>();
        objects.forEach(o -> perObject.add(new ArrayList<>()));
        ToyBlob[] lastSeen = new ToyBlob[n];
        for (List<ToyBlob> blobs : frames) {
            ToyBlob[] assigned = new ToyBlob[n];
            Set<ToyBlob> claimed = Collections.newSetFromMap(new IdentityHashMap<>());
            for (int i = 0; i < n; i++) {
                ToyObject object = objects.get(i);
                assigned[i] = blobs.stream()
                        .filter(b -> b.hasColor(object.color()))
                        .max(Comparator.comparingInt(ToyBlob::area))
                        .orElse(null);
                if (assigned[i] != null) {
                    claimed.add(assigned[i]);
                }
            }
            for (int i : fallbackOrder) {
                if (assigned[i] == null) {
                    assigned[i] = stray(blobs, claimed, lastSeen[i]);
                    if (assigned[i] != null) {
                        claimed.add(assigned[i]);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                perObject.get(i).add(assigned[i]);
                if (assigned[i] != null) {
                    lastSeen[i] = assigned[i];
                }
            }
        }
        List<ToyTrack> tracks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tracks.add(new ToyTrack(objects.get(i), perObject.get(i)));
        }
        return tracks;
    }

    /** An unclaimed palette-coloured region: the nearest to {@code last} if given, else the largest. */
    private static ToyBlob stray(List<ToyBlob> blobs, Set<ToyBlob> claimed, ToyBlob last) {
        Comparator<ToyBlob> order = last == null
                ? Comparator.comparingInt(ToyBlob::area)
                : Comparator.comparingDouble((ToyBlob b) -> -Math.hypot(b.centroidX() - last.centroidX(),
                        b.centroidY() - last.centroidY()));
        return blobs.stream()
                .filter(b -> b.color() != null && !claimed.contains(b))
                .max(order)
                .orElse(null);
    }

    /** Every order of 0..n-1, the identity first (a toy scene has one or two objects). */
    static List<int[]> orders(int n) {
        List<int[]> out = new ArrayList<>();
        permute(new int[n], new boolean[n], 0, out);
        return out;
    }

    private static void permute(int[] prefix, boolean[] used, int k, List<int[]> out) {
        if (k == prefix.length) {
            out.add(prefix.clone());
            return;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (!used[i]) {
                used[i] = true;
                prefix[k] = i;
                permute(prefix, used, k + 1, out);
                used[i] = false;
            }
        }
    }
}
