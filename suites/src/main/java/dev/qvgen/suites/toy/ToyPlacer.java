package dev.qvgen.suites.toy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Chooses start positions so that every object stays inside the frame for the whole clip and
 * objects never touch, since touching blobs could not be told apart when scoring.
 */
final class ToyPlacer {
    /** Pixels kept free at the border so anti-aliased edges never reach the frame edge. */
    static final double BORDER_MARGIN = 1.0;
    /** Minimum free pixels between the bounding boxes of two objects, in every frame. */
    static final double OBJECT_GAP = 2.0;
    private static final int RANDOM_TRIES = 200;
    private static final double GRID_STEP = 0.5;
    private static final int SEARCH_BUDGET = 2_000_000;

    private final int frames;
    private final int height;
    private final int width;

    ToyPlacer(int frames, int height, int width) {
        this.frames = frames;
        this.height = height;
        this.width = width;
    }

    /** Whether the object's attributes allow any start position in this frame. */
    boolean fits(ToyObject object) {
        return xMin(object) <= xMax(object) && yMin(object) <= yMax(object);
    }

    /**
     * Random valid start positions for all objects. First tries rejection sampling, which is
     * uniform over the valid region; layouts that are valid but rare (two quick movers in a
     * small frame) are then found by a randomised exhaustive search over a half-pixel grid, so
     * a scene is only refused when no grid layout exists.
     *
     * @throws IllegalArgumentException if an object cannot fit, or no non-touching layout exists
     */
    ToyScene place(ToyScene scene, Random rng) {
        for (ToyObject object : scene.objects()) {
            if (!fits(object)) {
                throw new IllegalArgumentException("'" + object.phrase() + "' cannot stay inside a "
                        + width + "x" + height + " frame for " + frames + " frames");
            }
        }
        for (int attempt = 0; attempt < RANDOM_TRIES; attempt++) {
            List<ToyObject> placed = new ArrayList<>();
            for (ToyObject object : scene.objects()) {
                double x = xMin(object) + rng.nextDouble() * (xMax(object) - xMin(object));
                double y = yMin(object) + rng.nextDouble() * (yMax(object) - yMin(object));
                placed.add(object.placedAt(x, y));
            }
            if (apartInEveryFrame(placed)) {
                return new ToyScene(placed);
            }
        }
        List<List<ToyObject>> candidates = new ArrayList<>();
        for (ToyObject object : scene.objects()) {
            List<ToyObject> options = gridPositions(object);
            Collections.shuffle(options, rng);
            candidates.add(options);
        }
        List<ToyObject> chosen = new ArrayList<>();
        if (search(candidates, chosen, new int[] {SEARCH_BUDGET})) {
            return new ToyScene(chosen);
        }
        throw new IllegalArgumentException("no layout keeps the objects apart for '" + scene.caption() + "' in a "
                + width + "x" + height + " frame over " + frames + " frames");
    }

    private List<ToyObject> gridPositions(ToyObject object) {
        List<ToyObject> options = new ArrayList<>();
        for (double x = xMin(object); x <= xMax(object); x += GRID_STEP) {
            for (double y = yMin(object); y <= yMax(object); y += GRID_STEP) {
                options.add(object.placedAt(x, y));
            }
        }
        return options;
    }

    /** Depth-first search; {@code budget[0]} bounds the work for scenes with many objects. */
    private boolean search(List<List<ToyObject>> candidates, List<ToyObject> chosen, int[] budget) {
        if (chosen.size() == candidates.size()) {
            return true;
        }
        for (ToyObject option : candidates.get(chosen.size())) {
            if (--budget[0] < 0) {
                return false;
            }
            if (apartFromAll(option, chosen)) {
                chosen.add(option);
                if (search(candidates, chosen, budget)) {
                    return true;
                }
                chosen.remove(chosen.size() - 1);
            }
        }
        return false;
    }

    private boolean apartFromAll(ToyObject candidate, List<ToyObject> chosen) {
        for (ToyObject other : chosen) {
            for (int t = 0; t < frames; t++) {
                if (!apart(candidate, other, t)) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean apartInEveryFrame(List<ToyObject> objects) {
        for (int a = 0; a < objects.size(); a++) {
            for (int b = a + 1; b < objects.size(); b++) {
                for (int t = 0; t < frames; t++) {
                    if (!apart(objects.get(a), objects.get(b), t)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private static boolean apart(ToyObject a, ToyObject b, int t) {
        double aLeft = a.centreX(t) - a.shape().halfWidth();
        double aRight = a.centreX(t) + a.shape().halfWidth();
        double aTop = a.centreY(t) - a.shape().extentUp();
        double aBottom = a.centreY(t) + a.shape().extentDown();
        double bLeft = b.centreX(t) - b.shape().halfWidth();
        double bRight = b.centreX(t) + b.shape().halfWidth();
        double bTop = b.centreY(t) - b.shape().extentUp();
        double bBottom = b.centreY(t) + b.shape().extentDown();
        return aRight + OBJECT_GAP <= bLeft || bRight + OBJECT_GAP <= aLeft
                || aBottom + OBJECT_GAP <= bTop || bBottom + OBJECT_GAP <= aTop;
    }

    private double travelX(ToyObject o) {
        return o.direction().dx() * o.speed().pixelsPerFrame() * (frames - 1);
    }

    private double travelY(ToyObject o) {
        return o.direction().dy() * o.speed().pixelsPerFrame() * (frames - 1);
    }

    private double xMin(ToyObject o) {
        return BORDER_MARGIN + o.shape().halfWidth() + Math.max(0, -travelX(o));
    }

    private double xMax(ToyObject o) {
        return width - BORDER_MARGIN - o.shape().halfWidth() - Math.max(0, travelX(o));
    }

    private double yMin(ToyObject o) {
        return BORDER_MARGIN + o.shape().extentUp() + Math.max(0, -travelY(o));
    }

    private double yMax(ToyObject o) {
        return height - BORDER_MARGIN - o.shape().extentDown() - Math.max(0, travelY(o));
    }
}
