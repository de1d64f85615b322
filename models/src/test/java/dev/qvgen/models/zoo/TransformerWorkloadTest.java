package dev.qvgen.models.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.models.cogvideox.CogVideoXConfig;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.wan.WanConfig;

import org.junit.jupiter.api.Test;

class TransformerWorkloadTest {
    static final TransformerSpec SMALL_WAN = new TransformerSpec.Wan(new WanConfig(new int[] {1, 2, 2}, 2, 16, 16, 16,
            24, 32, 48, 2, true, "rms_norm_across_heads", 1e-6, 1024));

    /** Shrunk CogVideoX: 2B (sin-cos positions) or 5B (RoPE). */
    static TransformerSpec smallCog(String name) {
        CogVideoXConfig full = ((TransformerSpec.CogVideoX) ModelRegistry.get(name).transformer()).config();
        return new TransformerSpec.CogVideoX(full.resized(2, 16, 2, 8, 24));
    }

    @Test
    void publishedShapesAndTokenCounts() {
        TransformerWorkload wan = TransformerWorkload.published("wan2.1-t2v-1.3b", 1);
        assertEquals(new Shape(1, 16, 21, 60, 104), wan.latentShape());
        assertEquals(21L * 30 * 52, wan.videoTokens()); // 32760
        TransformerWorkload cog = TransformerWorkload.published("cogvideox-2b", 2);
        assertEquals(new Shape(2, 13, 16, 60, 90), cog.latentShape());
        assertEquals(13L * 30 * 45, cog.videoTokens()); // 17550
        assertEquals(226, cog.textTokens());
        // Wan2.1-1.3B's forward at 480x832x81: ~ 1.3e9 params * 2 * 32760 tokens + attention
        double linear = 2.0 * 32760 * 30 * (4 * 1536.0 * 1536 + 2 * 1536.0 * 1536 + 2 * 1536.0 * 8960);
        double attn = 30 * 4.0 * 32760 * 32760 * 1536;
        assertTrue(wan.flops() > linear + attn && wan.flops() < 1.02 * (linear + attn), "flops " + wan.flops());
        assertThrows(IllegalArgumentException.class, () -> new TransformerWorkload(wan.spec(), 1, 80, 480, 832));
    }

    @Test
    void parameterCountsEqualThePyTorchReferenceModules() {
        // bench/torch_reference.py printed these for its modules (the side-by-side compares like with like)
        assertEquals(1_418_996_800L, ModelRegistry.parameterCount(ModelRegistry.buildTransformer("wan2.1-t2v-1.3b",
                null, false)));
        assertEquals(1_693_783_872L, ModelRegistry.parameterCount(ModelRegistry.buildTransformer("cogvideox-2b",
                null, false)));
    }

    @Test
    void float16ForwardMatchesFloat32OnCpu() {
        for (TransformerSpec spec : new TransformerSpec[] {SMALL_WAN, smallCog("cogvideox-2b"), smallCog("cogvideox-5b")}) {
            TransformerWorkload w = new TransformerWorkload(spec, 1, 5, 32, 48);
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                Module model = ModelRegistry.buildTransformer(spec, m, true, 3);
                NDList in = w.randomInputs(m, DataType.FLOAT32, 1);
                NDArray ref = TransformerWorkload.forward(model, in);
                assertEquals(w.latentShape(), ref.getShape());
                Precision.cast(model, DataType.FLOAT16, Device.cpu());
                for (var p : model.namedParameters().entrySet()) {
                    // Wan keeps diffusers' _keep_in_fp32_modules in float32; CogVideoX keeps none
                    boolean kept = model.keepInFloat32().stream()
                            .anyMatch(k -> java.util.List.of(p.getKey().split("\\.")).contains(k));
                    assertEquals(kept ? DataType.FLOAT32 : DataType.FLOAT16, p.getValue().getArray().getDataType(),
                            p.getKey());
                }
                if (spec == SMALL_WAN) {
                    assertEquals(DataType.FLOAT32, model.namedParameters().get("blocks.0.scale_shift_table")
                            .getArray().getDataType());
                    assertEquals(DataType.FLOAT32, model.namedParameters()
                            .get("condition_embedder.time_embedder.linear_1.weight").getArray().getDataType());
                    assertEquals(DataType.FLOAT32, model.namedParameters().get("blocks.0.norm2.weight")
                            .getArray().getDataType());
                    // everything else goes to half precision, the q/k RMS norms included
                    assertEquals(DataType.FLOAT16, model.namedParameters().get("blocks.0.attn1.norm_q.weight")
                            .getArray().getDataType());
                    assertEquals(DataType.FLOAT16, model.namedParameters().get("blocks.0.ffn.net.0.proj.weight")
                            .getArray().getDataType());
                    assertEquals(DataType.FLOAT16, model.namedParameters()
                            .get("condition_embedder.time_proj.weight").getArray().getDataType());
                }
                NDList half = new NDList(in.get(0).toType(DataType.FLOAT16, false), in.get(1),
                        in.get(2).toType(DataType.FLOAT16, false));
                NDArray out = TransformerWorkload.forward(model, half);
                assertEquals(DataType.FLOAT16, out.getDataType(), spec.className());
                double e = Tensors.relativeL2(out.toType(DataType.FLOAT32, false), ref);
                assertTrue(e < 2e-2, spec.className() + " fp16 vs fp32 rel_l2 " + e);
            }
        }
    }

    @Test
    void bfloat16ForwardMatchesFloat32OnCpu() {
        // DJL cannot name bfloat16: parameters and inputs are cast by the TorchScript module, the
        // models cast activations with Precision.like, and nothing creates an array of that type
        assertEquals(DataType.BFLOAT16, Precision.parse("bf16"));
        for (TransformerSpec spec : new TransformerSpec[] {SMALL_WAN, smallCog("cogvideox-2b"), smallCog("cogvideox-5b")}) {
            TransformerWorkload w = new TransformerWorkload(spec, 1, 5, 32, 48);
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                Module model = ModelRegistry.buildTransformer(spec, m, true, 3);
                NDList in = w.randomInputs(m, DataType.FLOAT32, 1);
                NDArray ref = TransformerWorkload.forward(model, in);
                Precision.cast(model, DataType.BFLOAT16, Device.cpu());
                assertTrue(Precision.isBf16(model.namedParameters().get(spec == SMALL_WAN
                        ? "blocks.0.attn1.to_q.weight" : "transformer_blocks.0.attn1.to_q.weight").getArray()));
                NDList half = new NDList(Precision.to(in.get(0), DataType.BFLOAT16), in.get(1),
                        Precision.to(in.get(2), DataType.BFLOAT16));
                NDArray out = TransformerWorkload.forward(model, half);
                assertTrue(Precision.isBf16(out), spec.className() + " output is bfloat16");
                double e = Tensors.relativeL2(out.toType(DataType.FLOAT32, false), ref);
                // bfloat16 keeps 8 significant bits (float16 11): about 8x float16's error
                assertTrue(e < 8e-2 && e > 1e-4, spec.className() + " bf16 vs fp32 rel_l2 " + e);
            }
        }
    }

    @Test
    void precisionNamesTheThreeComputeTypes() {
        assertEquals(DataType.FLOAT16, Precision.parse("fp16"));
        assertEquals(DataType.FLOAT32, Precision.parse("float32"));
        assertEquals("bf16", Precision.label(DataType.BFLOAT16));
        var e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("int8"));
        assertTrue(e.getMessage().contains("int8"), e.getMessage());
    }
}
