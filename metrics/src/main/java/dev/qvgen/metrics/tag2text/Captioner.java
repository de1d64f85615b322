package dev.qvgen.metrics.tag2text;

import java.util.List;

/** Captions for a batch of preprocessed frames. */
public interface Captioner {
    /**
     * @param frames (n, 3, size, size) float planes, normalised as the captioner expects
     * @return one caption per frame
     */
    List<String> captions(float[] frames, int n, int size);
}
