package dev.qvgen.layers.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Moves a module's parameters to one device and floating-point type (float16 or bfloat16 on
 * CUDA), and casts activations between types.
 *
 * <p>DJL 0.36's PyTorch binding has no bfloat16 dtype code: its JNI maps none to kBFloat16, so
 * Java cannot ask for a bfloat16 tensor ({@code toType}, {@code zeros} with that type abort the
 * JVM), and it reads a bfloat16 tensor's type as {@link DataType#UNKNOWN}. Everything else works
 * on such tensors, since the JNI passes handles. So bfloat16 tensors are made by a committed
 * TorchScript module ({@link ScriptedOp#TO_BF16}), casts to an activation's type go through
 * {@link #like} (which uses {@link ScriptedOp#TYPE_AS} when that type is bfloat16), and the
 * models never create arrays of an activation's type directly. The models keep their position
 * tables and timestep embeddings in float32 and cast where they meet the activations, as
 * diffusers does with {@code type_as}.
 */
public final class Precision {
    private Precision() {}

    /** Parses {@code fp32}, {@code fp16}, {@code bf16} (also {@code float32}, {@code float16}, {@code bfloat16}). */
    public static DataType parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "fp32", "float32", "float" -> DataType.FLOAT32;
            case "fp16", "float16", "half" -> DataType.FLOAT16;
            case "bf16", "bfloat16" -> {
                if (!ScriptedOp.TO_BF16.available() || !ScriptedOp.TYPE_AS.available()) {
                    throw new IllegalArgumentException("bf16 needs the TorchScript cast modules, which did not load: "
                            + ScriptedOp.TO_BF16.unavailableReason());
                }
                yield DataType.BFLOAT16;
            }
            default -> throw new IllegalArgumentException("unknown precision '" + s + "' (fp32, fp16 or bf16)");
        };
    }

    /** The short name of a compute type: fp32, fp16, bf16. */
    public static String label(DataType type) {
        return switch (type) {
            case FLOAT16 -> "fp16";
            case BFLOAT16, UNKNOWN -> "bf16";
            default -> "fp32";
        };
    }

    /** Whether {@code x} is bfloat16 (DJL 0.36 reads that type as UNKNOWN; later versions may name it). */
    public static boolean isBf16(NDArray x) {
        DataType t = x.getDataType();
        return t == DataType.UNKNOWN || t == DataType.BFLOAT16;
    }

    /** {@code x} as {@code type}, bfloat16 included. */
    public static NDArray to(NDArray x, DataType type) {
        if (type == DataType.BFLOAT16 || type == DataType.UNKNOWN) {
            return isBf16(x) ? x : ScriptedOp.TO_BF16.apply(x);
        }
        return x.toType(type, false);
    }

    /** {@code y} in {@code like}'s type (diffusers' {@code type_as}), bfloat16 included. */
    public static NDArray like(NDArray y, NDArray like) {
        if (isBf16(like)) {
            return isBf16(y) ? y : ScriptedOp.TYPE_AS.apply(y, like);
        }
        return y.toType(like.getDataType(), false);
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
                    ? to(moved, target) : moved;
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
