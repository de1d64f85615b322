package dev.qvgen.metrics.toy;

import dev.qvgen.metrics.video.DecodedVideo;
import dev.qvgen.suites.toy.ToyObject;
import dev.qvgen.suites.toy.ToyScene;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Follows each expected object through a video. Objects of a toy scene have distinct colours,
 * so in every frame an object is simply the largest region of its colour.
 */
public final class ToyTracker {
    private ToyTracker() {
    }

    /** One track per expected object, in the scene's order. */
    public static List<ToyTrack> track(DecodedVideo video, ToyScene expected) {
        List<List<ToyBlob>> blobsPerFrame = new ArrayList<>();
        for (int t = 0; t < video.frameCount(); t++) {
            blobsPerFrame.add(ToyBlobDetector.detect(video, t));
        }
        List<ToyTrack> tracks = new ArrayList<>();
        for (ToyObject object : expected.objects()) {
            List<ToyBlob> perFrame = new ArrayList<>();
            for (List<ToyBlob> blobs : blobsPerFrame) {
                perFrame.add(blobs.stream()
                        .filter(b -> b.hasColor(object.color()))
                        .max(Comparator.comparingInt(ToyBlob::area))
                        .orElse(null));
            }
            tracks.add(new ToyTrack(object, perFrame));
        }
        return tracks;
    }
}
