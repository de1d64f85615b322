package dev.qvgen.suites.toy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** The standard toy prompt suite and its plain-text file format (one caption per line). */
public final class ToyPromptSuite {
    public static final int STANDARD_SIZE = 32;
    /** The larger suite's size: four times the standard one, for paired differences resolved to about +-0.015. */
    public static final int LARGE_SIZE = 128;
    /** About a third of the standard prompts describe two objects. */
    public static final int STANDARD_TWO_OBJECT_PROMPTS = 11;
    private static final long STANDARD_SEED = 20240601L;
    private static final List<ToyPrompt> STANDARD = buildStandard();
    private static List<ToyPrompt> large;

    private ToyPromptSuite() {
    }

    /**
     * The 32 benchmark prompts, identical on every call and machine. Each attribute value is
     * dealt out as evenly as possible over the 43 object slots (e.g. every colour 7 or 8 times)
     * and then shuffled with a fixed seed; deals with repeated captions, a scene with two
     * same-coloured objects, or a scene that cannot be laid out in the default world are
     * rejected and re-dealt.
     */
    public static List<ToyPrompt> standard() {
        return STANDARD;
    }

    /**
     * The 128 prompts of the larger suite: the standard 32 first, then 96 more drawn with a fixed seed (one or two
     * objects, two with the standard suite's share of 11 in 32, attributes uniform, distinct colours within a
     * scene, every caption new and every scene placeable in the default world). Dealing the attributes evenly, as
     * the standard suite does, cannot work at this size: there are only 144 one-object captions.
     */
    public static synchronized List<ToyPrompt> large() {
        if (large == null) {
            List<ToyPrompt> out = new ArrayList<>(STANDARD);
            Set<String> captions = new HashSet<>();
            STANDARD.forEach(p -> captions.add(p.caption()));
            Random rng = new Random(STANDARD_SEED + LARGE_SIZE);
            ToyWorld world = ToyWorld.defaults();
            while (out.size() < LARGE_SIZE) {
                int count = rng.nextInt(STANDARD_SIZE) < STANDARD_TWO_OBJECT_PROMPTS ? 2 : 1;
                ToyScene scene = ToyWorld.randomAttributes(count, rng);
                int index = out.size();
                // a caption that cannot be laid out stays used: the draw is the same on every machine either way
                if (captions.add(scene.caption()) && placeable(world, scene, index)) {
                    out.add(new ToyPrompt(index, scene.caption(), scene));
                }
            }
            large = List.copyOf(out);
        }
        return large;
    }

    private static List<ToyPrompt> buildStandard() {
        Random rng = new Random(STANDARD_SEED);
        ToyWorld world = ToyWorld.defaults();
        int slots = STANDARD_SIZE + STANDARD_TWO_OBJECT_PROMPTS;
        while (true) {
            List<ToyColor> colours = dealt(ToyColor.values(), slots, rng);
            List<ToyShape> shapes = dealt(ToyShape.values(), slots, rng);
            List<ToyDirection> directions = dealt(ToyDirection.values(), slots, rng);
            List<ToySpeed> speeds = dealt(ToySpeed.values(), slots, rng);
            List<Boolean> twoObjects = new ArrayList<>();
            for (int i = 0; i < STANDARD_SIZE; i++) {
                twoObjects.add(i < STANDARD_TWO_OBJECT_PROMPTS);
            }
            Collections.shuffle(twoObjects, rng);
            List<ToyPrompt> prompts = tryDeal(colours, shapes, directions, speeds, twoObjects, world);
            if (prompts != null) {
                return List.copyOf(prompts);
            }
        }
    }

    /** Returns null when this deal breaks a rule, so the caller re-deals. */
    private static List<ToyPrompt> tryDeal(List<ToyColor> colours, List<ToyShape> shapes,
                                           List<ToyDirection> directions, List<ToySpeed> speeds,
                                           List<Boolean> twoObjects, ToyWorld world) {
        List<ToyPrompt> prompts = new ArrayList<>();
        Set<String> captions = new HashSet<>();
        int slot = 0;
        for (int index = 0; index < STANDARD_SIZE; index++) {
            int count = twoObjects.get(index) ? 2 : 1;
            List<ToyObject> objects = new ArrayList<>();
            for (int k = 0; k < count; k++, slot++) {
                objects.add(ToyObject.unplaced(colours.get(slot), shapes.get(slot), directions.get(slot),
                        speeds.get(slot)));
            }
            if (count == 2 && objects.get(0).color() == objects.get(1).color()) {
                return null;
            }
            ToyScene scene = new ToyScene(objects);
            if (!captions.add(scene.caption()) || !placeable(world, scene, index)) {
                return null;
            }
            prompts.add(new ToyPrompt(index, scene.caption(), scene));
        }
        return prompts;
    }

    private static boolean placeable(ToyWorld world, ToyScene scene, int index) {
        try {
            world.placeScene(scene, new Random(STANDARD_SEED + index));
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static <T> List<T> dealt(T[] values, int slots, Random rng) {
        List<T> deck = new ArrayList<>();
        for (int i = 0; i < slots; i++) {
            deck.add(values[i % values.length]);
        }
        Collections.shuffle(deck, rng);
        return deck;
    }

    /** Writes one caption per line (UTF-8), atomically so readers never see half a file. */
    public static void write(Path file, List<ToyPrompt> prompts) throws IOException {
        StringBuilder text = new StringBuilder();
        for (ToyPrompt prompt : prompts) {
            text.append(prompt.caption()).append('\n');
        }
        Path absolute = file.toAbsolutePath();
        Path temp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        Files.writeString(temp, text, StandardCharsets.UTF_8);
        Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Writes the standard suite. */
    public static void write(Path file) throws IOException {
        write(file, standard());
    }

    /**
     * Reads a prompt file: one caption per line; blank lines and lines starting with '#' are
     * skipped. Prompt indices count the captions in file order.
     *
     * @throws IllegalArgumentException for a bad caption, naming the file and line number
     */
    public static List<ToyPrompt> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<ToyPrompt> prompts = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                prompts.add(new ToyPrompt(prompts.size(), line, ToyScene.parse(line)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(prompts);
    }
}
