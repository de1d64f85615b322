package dev.qvgen.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.parity.GoldenParity;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

/** Whole text-to-video generations against the reference: pipe.latents -> pipe.frames. */
class PipelineParityTest {
    static JsonObject golden(Path family) throws java.io.IOException {
        return JsonParser.parseString(Files.readString(family.resolve("golden.json"))).getAsJsonObject();
    }

    /** The generation settings the reference used (golden.json). */
    static VideoPipeline.Settings settings(JsonObject j) {
        return new VideoPipeline.Settings(j.get("height").getAsInt(), j.get("width").getAsInt(),
                j.get("num_frames").getAsInt(), j.get("steps").getAsInt(), j.get("guidance_scale").getAsDouble(),
                j.get("max_sequence_length").getAsInt());
    }

    @ParameterizedTest
    @ValueSource(strings = {"wan2.1", "cogvideox-2b", "cogvideox-5b", "cogvideox1.5-5b"})
    void framesMatchReference(String family) throws Exception {
        Path f = Path.of("../shared/fixtures/golden", family);
        JsonObject j = golden(f);
        VideoPipeline.Settings s = settings(j);
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(f.resolve("golden.safetensors"));
                VideoPipeline p = VideoPipeline.fromPretrained(f.resolve("pipeline"), m)) {
            NDArray latents = g.load("pipe.latents", m);
            assertEquals(latents.getShape(), p.latentShape(s), "latent layout");
            long t1 = System.nanoTime();
            NDArray frames = p.generate(j.get("prompt").getAsString(), j.get("negative_prompt").getAsString(),
                    latents, s, VideoPipeline.Noise.seeded(0));
            NDArray expected = g.load("pipe.frames", m);
            assertEquals(expected.getShape(), frames.getShape());
            double err = Tensors.relativeL2(frames, expected);
            System.out.printf("%s pipe.frames rel_l2=%.3g (load %.1fs, generate %.1fs)%n", family, err,
                    (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
            assertTrue(err < GoldenParity.FRAMES_TOLERANCE, family + " pipe.frames rel_l2=" + err);
            // Guidance matters: without it the frames differ from the reference.
            NDArray noCfg = p.generate(j.get("prompt").getAsString(), "", latents,
                    new VideoPipeline.Settings(s.height(), s.width(), s.frames(), s.steps(), 1.0,
                            s.maxSequenceLength()), VideoPipeline.Noise.seeded(0));
            assertTrue(Tensors.relativeL2(noCfg, expected) > 10 * GoldenParity.FRAMES_TOLERANCE);
        }
    }

    /** float16 weight storage: Linear weights held in half precision, frames close to the float32 reference. */
    @ParameterizedTest
    @ValueSource(strings = {"wan2.1", "cogvideox1.5-5b"})
    void halfStoredWeightsStayClose(String family) throws Exception {
        Path f = Path.of("../shared/fixtures/golden", family);
        JsonObject j = golden(f);
        VideoPipeline.Settings s = settings(j);
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(f.resolve("golden.safetensors"))) {
            VideoPipeline p;
            try (AutoCloseable storage = WeightLoader.withStorage(WeightLoader.Storage.FP16)) {
                p = VideoPipeline.fromPretrained(f.resolve("pipeline"), m);
            }
            try (p) {
                Module tr = p.transformer().module();
                long half = 0;
                long all = 0;
                for (var e : tr.namedParameters().entrySet()) {
                    long n = e.getValue().getArray().size();
                    all += n;
                    if (e.getValue().getArray().getDataType() == DataType.FLOAT16) {
                        half += n;
                    }
                }
                assertTrue(half > all / 2, "float16 share " + half + "/" + all);
                NDArray frames = p.generate(j.get("prompt").getAsString(), j.get("negative_prompt").getAsString(),
                        g.load("pipe.latents", m), s, VideoPipeline.Noise.seeded(0));
                double err = Tensors.relativeL2(frames, g.load("pipe.frames", m));
                System.out.printf("%s fp16 weights: %d of %d transformer parameters half, pipe.frames rel_l2=%.3g%n",
                        family, half, all, err);
                assertTrue(err > 0 && err < 1e-2, "rel_l2=" + err);
            }
        }
    }

    /** The transformer computing in bfloat16 or float16 (the rest float32): frames near the float32 reference. */
    @ParameterizedTest
    @ValueSource(strings = {"wan2.1", "cogvideox1.5-5b"})
    void halfPrecisionTransformerStaysClose(String family) throws Exception {
        Path f = Path.of("../shared/fixtures/golden", family);
        JsonObject j = golden(f);
        VideoPipeline.Settings s = settings(j);
        double previous = 0;
        for (DataType type : new DataType[] {DataType.FLOAT16, DataType.BFLOAT16}) {
            try (NDManager m = NDManager.newBaseManager();
                    SafeTensorsFile g = SafeTensorsFile.open(f.resolve("golden.safetensors"));
                    VideoPipeline p = VideoPipeline.fromPretrained(f.resolve("pipeline"), m)) {
                p.setTransformerPrecision(type);
                NDArray frames = p.generate(j.get("prompt").getAsString(), j.get("negative_prompt").getAsString(),
                        g.load("pipe.latents", m), s, VideoPipeline.Noise.seeded(0));
                assertEquals(DataType.FLOAT32, frames.getDataType());
                double err = Tensors.relativeL2(frames, g.load("pipe.frames", m));
                System.out.printf("%s transformer in %s: pipe.frames rel_l2=%.3g%n", family, type, err);
                // above float32's agreement (the cast happened), within a few percent
                assertTrue(err > GoldenParity.FRAMES_TOLERANCE / 100 && err < 5e-2, type + " rel_l2=" + err);
                if (type == DataType.BFLOAT16) {
                    assertTrue(err > previous, "bfloat16 (8 mantissa bits) is further off than float16 (11)");
                }
                previous = err;
            }
        }
    }
}
