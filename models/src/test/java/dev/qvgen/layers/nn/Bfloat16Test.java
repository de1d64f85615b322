package dev.qvgen.layers.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSources;
import dev.qvgen.models.wan.WanTransformer3DModel;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Path;

class Bfloat16Test {
    @Test
    void widensEveryBfloat16BitPatternExactly() {
        byte[] raw = new byte[2 * 65536];
        for (int b = 0; b < 65536; b++) {
            raw[2 * b] = (byte) b;
            raw[2 * b + 1] = (byte) (b >>> 8);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(ByteBuffer.wrap(raw), new Shape(raw.length), DataType.UINT8);
            float[] w = Bfloat16.widen(a, new Shape(256, 256)).toFloatArray();
            for (int b = 0; b < 65536; b++) {
                float expected = Bfloat16.toFloat(b);
                if (Float.isNaN(expected)) {
                    assertTrue(Float.isNaN(w[b]), "pattern " + Integer.toHexString(b));
                } else {
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(w[b]),
                            "pattern " + Integer.toHexString(b) + ": " + expected + " vs " + w[b]);
                }
            }
        }
    }

    @Test
    void roundsToNearestEven() {
        assertEquals(0x3F80, Bfloat16.fromFloat(1f));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to the even mantissa (1)
        assertEquals(0x3F80, Bfloat16.fromFloat(1f + 0x1p-8f));
        assertEquals(0x3F81, Bfloat16.fromFloat(1f + 0x1p-8f + 0x1p-20f));
        assertEquals(0xC000, Bfloat16.fromFloat(-2f));
    }

    /**
     * The Wan transformer with bf16-resident linear weights computes what the float32 model
     * computes with the same (bf16-rounded) weights, bit for bit, at half the weight memory.
     */
    @Test
    void bf16StorageMatchesFloat32WithTheSameRoundedWeights() throws Exception {
        Path dir = Path.of("../shared/fixtures/golden/wan2.1/pipeline/transformer");
        Path golden = Path.of("../shared/fixtures/golden/wan2.1/golden.safetensors");
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile g = SafeTensorsFile.open(golden)) {
            WanTransformer3DModel bf16;
            try (AutoCloseable s = WeightLoader.withStorage(WeightLoader.Storage.BF16)) {
                bf16 = WanTransformer3DModel.fromPretrained(dir, m);
            }
            WanTransformer3DModel fp32 = WanTransformer3DModel.fromPretrained(dir, m);
            long rawBytes = 0;
            for (var e : fp32.namedModules().entrySet()) {
                if (e.getValue() instanceof Linear l) {
                    Linear b = (Linear) bf16.namedModules().get(e.getKey());
                    assertEquals(DataType.UINT8, b.weight().getDataType());
                    rawBytes += b.weight().size();
                    // round the float32 model's weights to bf16 values, as the bf16 model holds them
                    float[] v = l.weight().toFloatArray();
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Bfloat16.toFloat(Bfloat16.fromFloat(v[i]));
                    }
                    l.weight().set(v);
                    assertEquals(2 * l.weight().size(), b.weight().size(), "two bytes per weight");
                }
            }
            assertTrue(rawBytes > 0);
            NDArray x = g.load("tr.hidden_states", m);
            NDArray t = g.load("tr.timestep", m);
            NDArray c = g.load("tr.encoder_hidden_states", m);
            float[] a = bf16.forward(x, t, c).toFloatArray();
            float[] b = fp32.forward(x, t, c).toFloatArray();
            assertEquals(java.util.Arrays.toString(b).hashCode(), java.util.Arrays.toString(a).hashCode(),
                    "bit-identical outputs");
            assertTrue(Tensors.relativeL2(m.create(a), g.load("tr.out", m).reshape(-1)) < 1e-2,
                    "bf16 weights stay close to the float32 reference");
        }
    }
}
