package dev.qvgen.suites.toy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The procedural toy video world: renders scenes of coloured shapes moving in straight lines
 * over a dark gray background, samples random scenes, and reports ground truth.
 * Frames are {@code float[F][H][W][3]} RGB in [0,1]. Everything is deterministic: the same
 * {@link Random} seed gives identical scenes and bit-identical frames.
 */
public final class ToyWorld {
    public static final int DEFAULT_FRAMES = 8;
    public static final int DEFAULT_HEIGHT = 32;
    public static final int DEFAULT_WIDTH = 32;
    public static final int DEFAULT_FPS = 8;
    /** Probability that {@link #sampleScene} draws one object rather than two. */
    public static final double SINGLE_OBJECT_PROBABILITY = 0.6;
    private static final float BACKGROUND_LEVEL = 0.12f;
    /** Guards against a world where two objects can never be kept apart. */
    private static final int MAX_ATTRIBUTE_DRAWS = 100;

    private final int frames;
    private final int height;
    private final int width;
    private final int fps;
    private final ToyPlacer placer;

    /**
     * @throws IllegalArgumentException if a dimension is not positive or some single object
     *         (e.g. a triangle moving up quickly) could not stay inside the frame
     */
    public ToyWorld(int frames, int height, int width, int fps) {
        if (frames < 1 || height < 1 || width < 1 || fps < 1) {
            throw new IllegalArgumentException("toy world needs positive frames, height, width and fps, got F="
                    + frames + " H=" + height + " W=" + width + " fps=" + fps);
        }
        this.frames = frames;
        this.height = height;
        this.width = width;
        this.fps = fps;
        this.placer = new ToyPlacer(frames, height, width);
        requireEveryObjectFits();
    }

    /** F=8, 32x32, 8 fps. */
    public static ToyWorld defaults() {
        return new ToyWorld(DEFAULT_FRAMES, DEFAULT_HEIGHT, DEFAULT_WIDTH, DEFAULT_FPS);
    }

    public int frames() {
        return frames;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int fps() {
        return fps;
    }

    /** A fresh {r, g, b} array with the background colour. */
    public static float[] background() {
        return new float[] {BACKGROUND_LEVEL, BACKGROUND_LEVEL, BACKGROUND_LEVEL};
    }

    /** Renders a placed scene; objects later in the list are drawn on top. */
    public float[][][][] render(ToyScene scene) {
        requirePlaced(scene);
        float[][][][] video = new float[frames][height][width][];
        for (int t = 0; t < frames; t++) {
            for (int r = 0; r < height; r++) {
                for (int c = 0; c < width; c++) {
                    video[t][r][c] = background();
                }
            }
            for (ToyObject object : scene.objects()) {
                paint(video[t], object, t);
            }
        }
        return video;
    }

    private void paint(float[][][] frame, ToyObject object, int t) {
        double cx = object.centreX(t);
        double cy = object.centreY(t);
        float[] colour = object.color().rgb();
        int[] w = ToyRasterizer.window(object.shape(), cx, cy, width, height);
        for (int r = w[2]; r <= w[3]; r++) {
            for (int c = w[0]; c <= w[1]; c++) {
                double coverage = ToyRasterizer.coverage(object.shape(), cx, cy, c, r);
                if (coverage > 0) {
                    float[] pixel = frame[r][c];
                    for (int k = 0; k < 3; k++) {
                        pixel[k] = (float) (pixel[k] * (1 - coverage) + colour[k] * coverage);
                    }
                }
            }
        }
    }

    /**
     * A random scene: one object with probability 0.6, else two with different colours;
     * attributes uniform, except that two-object attribute combinations that cannot be laid
     * out without touching are redrawn; start positions random over the layouts that keep
     * every object inside the frame and the objects apart.
     */
    public ToyScene sampleScene(Random rng) {
        int count = rng.nextDouble() < SINGLE_OBJECT_PROBABILITY ? 1 : 2;
        for (int draw = 0; draw < MAX_ATTRIBUTE_DRAWS; draw++) {
            ToyScene attributes = randomAttributes(count, rng);
            try {
                return placer.place(attributes, rng);
            } catch (IllegalArgumentException layoutImpossible) {
                // Some attribute pairs (e.g. two quick movers crossing) cannot be kept apart: draw again.
            }
        }
        throw new IllegalStateException("could not sample a placeable " + count + "-object scene in "
                + MAX_ATTRIBUTE_DRAWS + " draws for " + this);
    }

    /** {@code count} unplaced objects: distinct colours, shape, direction and speed uniform, drawn in that order. */
    static ToyScene randomAttributes(int count, Random rng) {
        List<ToyColor> colours = new ArrayList<>(List.of(ToyColor.values()));
        List<ToyObject> objects = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ToyColor colour = colours.remove(rng.nextInt(colours.size()));
            ToyShape shape = pick(ToyShape.values(), rng);
            ToyDirection direction = pick(ToyDirection.values(), rng);
            ToySpeed speed = pick(ToySpeed.values(), rng);
            objects.add(ToyObject.unplaced(colour, shape, direction, speed));
        }
        return new ToyScene(objects);
    }

    private static <T> T pick(T[] values, Random rng) {
        return values[rng.nextInt(values.length)];
    }

    /**
     * Gives random valid start positions to a scene's objects (any existing positions are
     * replaced), e.g. to render a reference clip for a parsed caption.
     *
     * @throws IllegalArgumentException if the objects cannot stay inside the frame and apart
     */
    public ToyScene placeScene(ToyScene attributesOnly, Random rng) {
        return placer.place(attributesOnly.unplaced(), rng);
    }

    /** Per object and frame: exact centre and the area of the pixel mask (coverage at least 1/2). */
    public ToyGroundTruth groundTruth(ToyScene scene) {
        requirePlaced(scene);
        List<ToyGroundTruth.ObjectTrack> tracks = new ArrayList<>();
        for (ToyObject object : scene.objects()) {
            List<ToyGroundTruth.FrameState> states = new ArrayList<>();
            for (int t = 0; t < frames; t++) {
                states.add(new ToyGroundTruth.FrameState(object.centreX(t), object.centreY(t), maskArea(object, t)));
            }
            tracks.add(new ToyGroundTruth.ObjectTrack(object, states));
        }
        return new ToyGroundTruth(tracks);
    }

    private int maskArea(ToyObject object, int t) {
        double cx = object.centreX(t);
        double cy = object.centreY(t);
        int[] w = ToyRasterizer.window(object.shape(), cx, cy, width, height);
        int area = 0;
        for (int r = w[2]; r <= w[3]; r++) {
            for (int c = w[0]; c <= w[1]; c++) {
                if (ToyRasterizer.coverage(object.shape(), cx, cy, c, r) >= 0.5) {
                    area++;
                }
            }
        }
        return area;
    }

    private void requireEveryObjectFits() {
        for (ToyShape shape : ToyShape.values()) {
            for (ToyDirection direction : ToyDirection.values()) {
                for (ToySpeed speed : ToySpeed.values()) {
                    ToyObject probe = ToyObject.unplaced(ToyColor.RED, shape, direction, speed);
                    if (!placer.fits(probe)) {
                        throw new IllegalArgumentException("a " + width + "x" + height + " frame is too small for '"
                                + probe.phrase() + "' over " + frames + " frames");
                    }
                }
            }
        }
    }

    private static void requirePlaced(ToyScene scene) {
        if (!scene.isPlaced()) {
            throw new IllegalArgumentException("scene has no start positions (use placeScene): '"
                    + scene.caption() + "'");
        }
    }

    @Override
    public String toString() {
        return "ToyWorld[F=" + frames + ", H=" + height + ", W=" + width + ", fps=" + fps + "]";
    }
}
