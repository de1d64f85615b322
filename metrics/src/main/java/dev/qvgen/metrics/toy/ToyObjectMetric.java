package dev.qvgen.metrics.toy;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.suites.toy.ToyScene;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shared shape of the toy ground-truth metrics: parse the prompt into the expected objects,
 * track them in the frames, score each object in [0,1] and average over objects. Details
 * list each object's score under "object_<i>" (with its phrase) so failures can be traced.
 */
abstract class ToyObjectMetric implements VideoMetric {

    /** This metric's score in [0,1] for one tracked object. */
    abstract double scoreObject(ToyTrack track);

    @Override
    public final MetricResult score(DecodedVideo video, MetricContext context) {
        ToyScene expected = ToyScene.parse(context.requireCaption(name()));
        List<ToyTrack> tracks = ToyTracker.track(video, expected);
        Map<String, String> details = new LinkedHashMap<>();
        double sum = 0;
        for (int i = 0; i < tracks.size(); i++) {
            ToyTrack track = tracks.get(i);
            double value = scoreObject(track);
            sum += value;
            details.put("object_" + i, track.expected().phrase() + ": " + value);
        }
        return new MetricResult(sum / tracks.size(), details);
    }
}
