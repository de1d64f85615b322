package dev.qvgen.metrics.toy;

import dev.qvgen.suites.toy.ToyObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An expected object and, per frame, the region taken to be it (null where none was found). */
public record ToyTrack(ToyObject expected, List<ToyBlob> perFrame) {

    public ToyTrack {
        perFrame = Collections.unmodifiableList(new ArrayList<>(perFrame));
    }

    public int frameCount() {
        return perFrame.size();
    }

    /** Frames in which some region was taken to be the object (of its colour or not). */
    public int detectedFrames() {
        return (int) perFrame.stream().filter(b -> b != null).count();
    }

    /** Frames in which the region taken to be the object has the object's colour. */
    public int colourFrames() {
        return (int) perFrame.stream().filter(b -> b != null && b.hasColor(expected.color())).count();
    }
}
