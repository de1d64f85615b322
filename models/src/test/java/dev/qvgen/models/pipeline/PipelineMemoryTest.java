package dev.qvgen.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

import com.google.gson.JsonObject;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.wan.WanPipeline;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a generation holds, counted in the manager's live arrays on the CPU: the text encoder in
 * the pipeline's precision, whose compute copy is freed once the prompts are encoded (offloaded);
 * a denoising loop whose steps leave nothing behind; nothing but the frames after a generation.
 */
class PipelineMemoryTest {
    static final Path WAN = Path.of("../shared/fixtures/golden/wan2.1");

    private static List<Parameter> textEncoderParameters(WanPipeline p) {
        return new ArrayList<>(p.textEncoder().namedParameters().values());
    }

    @Test
    void bf16TextEncoderIsFreedOnceThePromptsAreEncoded() throws Exception {
        JsonObject j = PipelineParityTest.golden(WAN);
        VideoPipeline.Settings s = PipelineParityTest.settings(j);
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(WAN.resolve("golden.safetensors"));
                WanPipeline p = (WanPipeline) VideoPipeline.fromPretrained(WAN.resolve("pipeline"), m)) {
            String prompt = j.get("prompt").getAsString();
            String negative = j.get("negative_prompt").getAsString();
            NDArray fp32States = p.encodePrompt(prompt, s.maxSequenceLength(), m);

            p.setTransformerPrecision(DataType.BFLOAT16);
            p.setTextEncoderPrecision(DataType.BFLOAT16);
            p.offloadTextEncoder(true);
            List<Parameter> te = textEncoderParameters(p);
            int before = m.getManagedArrays().size();
            try (TextEncoderPlacement.Phase phase = p.textEncoderOn(Device.cpu())) {
                assertTrue(te.stream().allMatch(q -> Precision.isBf16(q.getArray())),
                        "while prompts are encoded the encoder computes in bfloat16");
                assertEquals(before + te.size(), m.getManagedArrays().size(), "one bfloat16 copy per weight");
            }
            assertTrue(te.stream().allMatch(q -> q.getArray().getDataType() == DataType.FLOAT32),
                    "the weights as loaded are back");
            assertEquals(before, m.getManagedArrays().size(), "the bfloat16 copies are freed");

            VideoPipeline.PromptEmbeddings text = p.encodePrompts(prompt, negative, s, m);
            assertTrue(Precision.isBf16(text.prompt()) && Precision.isBf16(text.negative()));
            assertEquals(before + 2, m.getManagedArrays().size(), "after encoding only the two states are new");
            double err = Tensors.relativeL2(text.prompt().toType(DataType.FLOAT32, false), fp32States);
            System.out.printf("wan2.1 umt5 in bfloat16 vs float32: rel_l2=%.3g%n", err);
            assertTrue(err > 0 && err < 2e-2, "bfloat16 states near float32's: " + err);

            // the whole generation in bfloat16 (text encoder and transformer), the VAE in float32
            NDArray frames = p.generate(text, g.load("pipe.latents", m), s, VideoPipeline.Noise.seeded(0));
            double framesErr = Tensors.relativeL2(frames, g.load("pipe.frames", m));
            System.out.printf("wan2.1 text encoder and transformer in bfloat16: pipe.frames rel_l2=%.3g%n", framesErr);
            assertTrue(framesErr < 5e-2, "rel_l2=" + framesErr);
        }
    }

    @Test
    void denoisingStepsLeaveNothingBehind() throws Exception {
        JsonObject j = PipelineParityTest.golden(WAN);
        VideoPipeline.Settings g = PipelineParityTest.settings(j);
        VideoPipeline.Settings s = new VideoPipeline.Settings(g.height(), g.width(), g.frames(), 8,
                g.guidanceScale(), g.maxSequenceLength());
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile f = SafeTensorsFile.open(WAN.resolve("golden.safetensors"));
                VideoPipeline p = VideoPipeline.fromPretrained(WAN.resolve("pipeline"), m)) {
            NDArray latents = f.load("pipe.latents", m);
            List<Integer> live = new ArrayList<>();
            p.setStepListener(i -> live.add(m.getManagedArrays().size()));
            int before = m.getManagedArrays().size();
            NDArray frames = p.generate(j.get("prompt").getAsString(), j.get("negative_prompt").getAsString(), latents,
                    s, VideoPipeline.Noise.seeded(0));
            System.out.println("wan2.1 live arrays after each of 8 steps: " + live);
            assertEquals(8, live.size());
            // the multistep scheduler keeps its last model outputs: constant once its order is reached
            for (int i = 2; i < live.size(); i++) {
                assertEquals(live.get(1), live.get(i), "step " + i + " left arrays behind: " + live);
            }
            // between steps: the two prompt states, the latents, UniPC's state (its last sample and
            // model outputs) and the RoPE tables the transformer caches for the latents' size
            assertTrue(live.get(1) - before <= 10, "a step keeps the latents and the scheduler's state only: " + live
                    + " from " + before);
            int after = m.getManagedArrays().size();
            System.out.println("wan2.1 live arrays before the generation " + before + ", after " + after);
            // the frames, and the RoPE tables (cos, sin) the transformer keeps for the next generation
            assertEquals(before + 3, after, "after the generation only the frames and the cached tables are new");
            frames.close();
            assertEquals(before + 2, m.getManagedArrays().size());
        }
    }
}
