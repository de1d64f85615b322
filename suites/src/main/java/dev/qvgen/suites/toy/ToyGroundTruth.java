package dev.qvgen.suites.toy;

import java.util.List;

/**
 * Where each object of a rendered scene is, frame by frame: its exact centre and the area
 * of its pixel mask (pixels at least half covered by the object).
 */
public record ToyGroundTruth(List<ObjectTrack> tracks) {

    public ToyGroundTruth {
        tracks = List.copyOf(tracks);
    }

    /** One object's states, indexed by frame. */
    public record ObjectTrack(ToyObject object, List<FrameState> frames) {
        public ObjectTrack {
            frames = List.copyOf(frames);
        }
    }

    /** Centre in pixel coordinates (x = column, y = row) and mask area in pixels. */
    public record FrameState(double centreX, double centreY, int maskArea) {
    }
}
