package dev.qvgen.metrics;

import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyPromptSuite;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyWorld;
import java.util.Random;

/** Test fixtures: rendered toy clips and simple synthetic videos. */
public final class ToyClips {
    public static final ToyWorld WORLD = ToyWorld.defaults();

    private ToyClips() {
    }

    /** The standard prompt's scene laid out with a seed derived from its index. */
    public static ToyScene placed(ToyPrompt prompt) {
        return WORLD.placeScene(prompt.scene(), new Random(1000 + prompt.index()));
    }

    public static float[][][][] render(ToyPrompt prompt) {
        return WORLD.render(placed(prompt));
    }

    public static float[][][][] render(String caption, long seed) {
        return WORLD.render(WORLD.placeScene(ToyScene.parse(caption), new Random(seed)));
    }

    public static ToyPrompt standardPrompt(int index) {
        return ToyPromptSuite.standard().get(index);
    }

    /** Every frame a copy of frame 0: same content, no motion. */
    public static float[][][][] frozen(float[][][][] video) {
        float[][][][] out = new float[video.length][][][];
        for (int t = 0; t < video.length; t++) {
            out[t] = copy(video[0]);
        }
        return out;
    }

    /** Uniform random RGB noise. */
    public static float[][][][] noise(int frames, int height, int width, long seed) {
        Random rng = new Random(seed);
        float[][][][] out = new float[frames][height][width][3];
        for (float[][][] frame : out) {
            for (float[][] row : frame) {
                for (float[] pixel : row) {
                    for (int k = 0; k < 3; k++) {
                        pixel[k] = rng.nextFloat();
                    }
                }
            }
        }
        return out;
    }

    /** A single flat colour in every pixel of every frame. */
    public static float[][][][] flat(int frames, int height, int width, float level) {
        float[][][][] out = new float[frames][height][width][3];
        for (float[][][] frame : out) {
            for (float[][] row : frame) {
                for (float[] pixel : row) {
                    java.util.Arrays.fill(pixel, level);
                }
            }
        }
        return out;
    }

    private static float[][][] copy(float[][][] frame) {
        float[][][] out = new float[frame.length][][];
        for (int r = 0; r < frame.length; r++) {
            out[r] = new float[frame[r].length][];
            for (int c = 0; c < frame[r].length; c++) {
                out[r][c] = frame[r][c].clone();
            }
        }
        return out;
    }
}
