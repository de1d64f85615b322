package dev.qvgen.models.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Moves a module's parameters to one device and floating-point type, e.g. float16 on CUDA.
 *
 * <p>DJL 0.36's PyTorch binding has no bfloat16 (its JNI maps no dtype code to kBFloat16, so a
 * bfloat16 tensor cannot be made from Java), so the GPU path computes in float16, which runs on
 * the same tensor cores at the same peak rate on Hopper. The models keep their position tables
 * and timestep embeddings in float32 and cast where they meet the activations, as diffusers does
 * with {@code type_as}.
 */
public final class Precision {
    private Precision() {}

    /** Parses {@code fp32}, {@code fp16} (also {@code float32}/{@code float16}); bf16 is refused with the reason. */
    public static DataType parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "fp32", "float32", "float" -> DataType.FLOAT32;
            case "fp16", "float16", "half" -> DataType.FLOAT16;
            case "bf16", "bfloat16" -> throw new IllegalArgumentException(
                    "bf16 is not available through DJL 0.36 (its PyTorch JNI has no bfloat16); use fp16");
            default -> throw new IllegalArgumentException("unknown precision '" + s + "' (fp32 or fp16)");
        };
    }

    /**
     * Casts every floating-point parameter below {@code root} to {@code type} on {@code device},
     * except those the model keeps in float32 ({@link Module#keepInFloat32()}), which only move.
     */
    public static void cast(Module root, DataType type, Device device) {
        List<String> keep = root.keepInFloat32();
        for (Map.Entry<String, Parameter> e : root.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            NDArray a = p.getArray();
            if (a == null) {
                continue;
            }
            List<String> parts = Arrays.asList(e.getKey().split("\\."));
            DataType target = keep.stream().anyMatch(parts::contains) ? DataType.FLOAT32 : type;
            NDArray moved = a.getDevice().equals(device) ? a : a.toDevice(device, false);
            NDArray typed = moved.getDataType().isFloating() && moved.getDataType() != target
                    ? moved.toType(target, false) : moved;
            if (typed != a) {
                typed.attach(a.getManager());
                if (moved != a && moved != typed) {
                    moved.close();
                }
                // A Parameter takes one array: close() drops (and frees) the old one, and
                // setShape(null) re-opens setArray.
                p.close();
                p.setShape(null);
                p.setArray(typed);
            }
        }
    }
}
