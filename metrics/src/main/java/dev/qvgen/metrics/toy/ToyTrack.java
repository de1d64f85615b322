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

    public int detectedFrames() {
        return (int) perFrame.stream().filter(b -> b != null).count();
    }
}
