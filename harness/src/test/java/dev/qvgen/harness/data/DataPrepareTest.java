package dev.qvgen.harness.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.harness.CliRun;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.video.Mp4Reader;
import dev.qvgen.video.Mp4Writer;
import dev.qvgen.models.pipeline.VideoPipeline;
import dev.qvgen.models.vae.cogvideox.AutoencoderKLCogVideoX;
import dev.qvgen.models.vae.wan.AutoencoderKLWan;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyWorld;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Random;

/**
 * {@code qvgen data prepare} on toy-world MP4s with the tiny golden pipelines: counts, skips with
 * reasons, shapes, latents equal to a direct VAE encode of the same frames, byte-identical resume,
 * and bad input as one line with exit code 2.
 */
class DataPrepareTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");
    static final Path WAN = GOLDEN.resolve("wan2.1/pipeline");
    static final Path COG = GOLDEN.resolve("cogvideox-2b/pipeline");
    static final String[] CAPTIONS = {"a red circle moves left slowly", "a blue square moves up quickly",
        "a green triangle moves right slowly", "a yellow circle moves down slowly"};
    static final int SOURCE_FRAMES = 12;

    @TempDir
    static Path videos;

    /** Four 48x64 (HxW) toy clips of 12 frames, one 96x128 one, a corrupt file and a 3-frame clip. */
    @BeforeAll
    static void makeVideos() throws IOException {
        ToyWorld world = new ToyWorld(SOURCE_FRAMES, 48, 64, 8);
        for (int i = 0; i < CAPTIONS.length; i++) {
            write(world, "clip" + i, CAPTIONS[i], i);
        }
        write(new ToyWorld(SOURCE_FRAMES, 96, 128, 8), "clip4-large", "a red square moves right quickly", 9);
        Files.write(videos.resolve("corrupt.mp4"), "this is not an mp4 file at all".repeat(40).getBytes());
        Files.writeString(videos.resolve("corrupt.txt"), "a broken file");
        write(new ToyWorld(3, 48, 64, 8), "short", "a red circle moves left slowly", 5);
    }

    static void write(ToyWorld world, String name, String caption, long seed) throws IOException {
        Mp4Writer.write(videos.resolve(name + ".mp4"),
                world.render(world.placeScene(ToyScene.parse(caption), new Random(seed))), 8);
        Files.writeString(videos.resolve(name + ".txt"), caption + "\n");
    }

    static CliRun prepare(Path pipeline, Path input, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("data", "prepare", "--pipeline-dir", pipeline.toString(),
                "--videos", input.toString(), "--out", out.toString(), "--frames", "5", "--height", "48", "--width",
                "64", "--max-sequence-length", "16", "--shard-size", "2"));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    /** The official frame rule and normalisation, applied to Mp4Reader's frames independently of the data code. */
    static NDArray reference(Path mp4, NDManager m) {
        DecodedVideo v = Mp4Reader.decode(mp4);
        int stride = v.frameCount() / 5;
        int h = v.height();
        int w = v.width();
        float[] x = new float[3 * 5 * h * w];
        for (int t = 0; t < 5; t++) {
            for (int y = 0; y < h; y++) {
                for (int c = 0; c < w; c++) {
                    for (int k = 0; k < 3; k++) {
                        x[((k * 5 + t) * h + y) * w + c] = (v.sample(t * stride, y, c, k) / 255f - 0.5f) / 0.5f;
                    }
                }
            }
        }
        return m.create(x, new Shape(1, 3, 5, h, w));
    }

    @Test
    void wanFolderPrepareSkipsResumesAndMatchesTheVae(@TempDir Path out) throws Exception {
        CliRun r = prepare(WAN, videos, out);
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> skipLines = r.out().lines().filter(l -> l.startsWith("data prepare: skipped")).toList();
        assertEquals(2, skipLines.size(), r.out());
        assertTrue(skipLines.get(0).contains("corrupt.mp4") && skipLines.get(0).contains("not a readable video"),
                skipLines.toString());
        assertTrue(skipLines.get(1).contains("short.mp4") && skipLines.get(1).contains("too short (3 frames, needs 5"),
                skipLines.toString());
        assertTrue(r.out().contains("ETA"), "progress with ETA: " + r.out());

        LatentManifest m = LatentManifest.read(out);
        assertEquals(5, m.samples());
        assertEquals(2, m.skipped().size());
        assertEquals(List.of(2, 2, 1, 0), m.shards().stream().map(LatentManifest.Shard::count).toList(),
                "clip0 clip1 | clip2 clip3 | clip4-large corrupt | short (entries sorted by name)");
        assertEquals(List.of(0, 2, 4, 5), m.shards().stream().map(LatentManifest.Shard::firstIndex).toList());
        assertArrayEquals(new long[] {16, 2, 6, 8}, m.latentShape(), "Wan (C, 1 + (5-1)/4, 48/8, 64/8)");
        assertArrayEquals(new long[] {16, 32}, m.textShape());
        assertEquals("even", m.settings().getAsJsonObject("sampling").get("rule").getAsString());

        try (NDManager nd = NDManager.newBaseManager(); LatentDataset d = LatentDataset.open(out);
                VideoPipeline p = VideoPipeline.fromPretrained(WAN, nd)) {
            assertEquals(5, d.size());
            assertEquals(new Shape(16, 2, 6, 8), d.latentShape());
            AutoencoderKLWan vae = AutoencoderKLWan.fromPretrained(WAN.resolve("vae"), nd);
            for (int i = 0; i < CAPTIONS.length; i++) {
                assertEquals(CAPTIONS[i], d.caption(i));
                NDArray direct = vae.normalizeLatents(vae.encodeMean(reference(videos.resolve("clip" + i + ".mp4"), nd)));
                assertArrayEquals(direct.toFloatArray(), d.latents(i, nd).toFloatArray(), 1e-5f, "sample " + i);
                assertArrayEquals(p.encodePrompt(CAPTIONS[i], 16, nd).toFloatArray(), d.text(i, nd).toFloatArray(),
                        "text " + i);
                float[] std = d.latentStd(i, nd).toFloatArray();
                for (float s : std) {
                    assertTrue(s > 0 && Float.isFinite(s), "posterior std " + s);
                }
            }
            assertEquals("a red square moves right quickly", d.caption(4), "the large clip is resized and kept");
            assertArrayEquals(p.encodePrompt("", 16, nd).toFloatArray(), d.emptyText(nd).toFloatArray());
        }

        // Resume: a deleted shard is encoded again, byte for byte; the others are not touched.
        Path second = out.resolve("shard-00001.safetensors");
        byte[] before = Files.readAllBytes(second);
        String manifest = Files.readString(out.resolve(LatentManifest.FILE));
        FileTime old = FileTime.fromMillis(1_000_000L);
        for (String s : List.of("shard-00000.safetensors", "shard-00002.safetensors", "shard-00003.safetensors")) {
            Files.setLastModifiedTime(out.resolve(s), old);
        }
        Files.delete(second);
        CliRun again = prepare(WAN, videos, out);
        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue(again.out().contains("3 shards already"), again.out());
        assertFalse(again.out().contains("skipped corrupt"), "the corrupt file's shard was kept: " + again.out());
        assertArrayEquals(before, Files.readAllBytes(second), "re-encoded shard is byte-identical");
        for (String s : List.of("shard-00000.safetensors", "shard-00002.safetensors", "shard-00003.safetensors")) {
            assertEquals(old, Files.getLastModifiedTime(out.resolve(s)), s + " kept");
        }
        assertEquals(manifest, Files.readString(out.resolve(LatentManifest.FILE)));

        // Other settings on the same folder are refused, not mixed in.
        CliRun other = prepare(WAN, videos, out, "--crop", "center");
        assertEquals(2, other.code(), other.out() + other.err());
        assertEquals(1, other.err().strip().lines().count(), other.err());
        assertTrue(other.err().contains("other settings"), other.err());
    }

    @Test
    void cogVideoXCsvLatentsAreScaledAndFrameMajor(@TempDir Path out) throws Exception {
        Path csv = out.resolve("list.csv");
        Files.writeString(csv, "video,caption,aesthetic score\n"
                + "clip0.mp4,\"" + CAPTIONS[0] + "\",5.1\n"
                + "missing.mp4,\"a video that is not there, with a comma\",4.0\n"
                + "clip1.mp4,\"" + CAPTIONS[1] + "\",4.4\n");
        Path data = out.resolve("data");
        CliRun r = prepare(COG, csv, data, "--video-root", videos.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("skipped missing.mp4: file does not exist"), r.out());
        LatentManifest m = LatentManifest.read(data);
        assertEquals(2, m.samples());
        assertEquals("missing.mp4", m.skipped().get(0).video());
        assertArrayEquals(new long[] {2, 4, 6, 8}, m.latentShape(), "CogVideoX (F, C, H, W)");
        try (NDManager nd = NDManager.newBaseManager(); LatentDataset d = LatentDataset.open(data)) {
            AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.fromPretrained(COG.resolve("vae"), nd);
            float sf = (float) vae.config().scalingFactor();
            for (int i = 0; i < 2; i++) {
                float[] mean = vae.encodeMean(reference(videos.resolve("clip" + i + ".mp4"), nd)).toFloatArray();
                float[] got = d.latents(i, nd).toFloatArray();
                // (1, C=4, F=2, 6, 8) against (F, C, 6, 8): permuted by hand, so a layout slip shows.
                for (int c = 0; c < 4; c++) {
                    for (int f = 0; f < 2; f++) {
                        for (int k = 0; k < 48; k++) {
                            assertEquals(mean[(c * 2 + f) * 48 + k] * sf, got[(f * 4 + c) * 48 + k], 1e-5f);
                        }
                    }
                }
            }
        }
    }

    @Test
    void badInputIsOneLineAndExitTwo(@TempDir Path out) throws IOException {
        Path csv = out.resolve("bad.csv");
        Files.writeString(csv, "path,caption\nclip0.mp4,x\n");
        assertOneLine(prepare(WAN, csv, out.resolve("a"), "--video-root", videos.toString()), "no 'video' column");
        assertOneLine(prepare(WAN, out.resolve("nowhere"), out.resolve("b")), "nowhere", "not found");
        assertOneLine(prepare(WAN, videos, out.resolve("c"), "--no-such-flag"), "--no-such-flag");
        assertOneLine(CliRun.of("data", "prepare", "--pipeline-dir", WAN.toString(), "--videos", videos.toString(),
                "--out", out.resolve("d").toString(), "--frames", "6", "--height", "48", "--width", "64"), "1 + 4k");
        assertOneLine(prepare(WAN, videos, out.resolve("e"), "--crop", "diagonal"), "--crop");
        assertFalse(Files.exists(out.resolve("a")) || Files.exists(out.resolve("c")), "nothing written");
        try {
            LatentDataset.open(out.resolve("b"));
        } catch (dev.qvgen.harness.BadInputException e) {
            assertTrue(e.getMessage().contains("manifest.json: not found"), e.getMessage());
        }
    }

    static void assertOneLine(CliRun r, String... fragments) {
        assertEquals(2, r.code(), r.out() + r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), "expected one line, got: " + r.err());
        for (String f : fragments) {
            assertTrue(line.contains(f), "'" + f + "' not in: " + line);
        }
    }
}
