package dev.qvgen.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyWorld;
import dev.qvgen.video.Mp4Writer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Three captioned toy-world MP4s as QAT training clips, and their encoding by {@code qvgen data prepare}. */
public final class ToyClips {
    public static final String[] CAPTIONS = {"a red circle moves left slowly", "a blue square moves up quickly",
        "a green triangle moves right slowly"};

    private ToyClips() {}

    /** Writes {@code clip<i>.mp4} and its caption {@code clip<i>.txt} for each of {@link #CAPTIONS} into {@code dir}. */
    public static Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        ToyWorld world = new ToyWorld(10, 48, 64, 8);
        for (int i = 0; i < CAPTIONS.length; i++) {
            Mp4Writer.write(dir.resolve("clip" + i + ".mp4"),
                    world.render(world.placeScene(ToyScene.parse(CAPTIONS[i]), new Random(i))), 8);
            Files.writeString(dir.resolve("clip" + i + ".txt"), CAPTIONS[i] + "\n");
        }
        return dir;
    }

    /** The clips written into {@code clips}, encoded with {@code pipeline} into {@code data} at the tiny fixtures' size. */
    public static Path prepare(Path pipeline, Path clips, Path data) throws IOException {
        write(clips);
        CliRun prep = CliRun.of("data", "prepare", "--pipeline-dir", pipeline.toString(), "--videos", clips.toString(),
                "--out", data.toString(), "--frames", "5", "--height", "32", "--width", "48", "--max-sequence-length",
                "16");
        assertEquals(0, prep.code(), prep.out() + prep.err());
        return data;
    }
}
