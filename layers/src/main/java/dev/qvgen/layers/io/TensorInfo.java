package dev.qvgen.layers.io;

import java.nio.file.Path;

/** Where one tensor lies: its file, dtype name as safetensors spells it, shape and byte range. */
public record TensorInfo(Path file, String dtype, long[] shape, long begin, long end) {
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Whether {@code dtype} (safetensors' spelling) is a floating-point type the loaders convert. */
    public static boolean isFloating(String dtype) {
        return switch (dtype) {
            case "F64", "F32", "F16", "BF16" -> true;
            default -> false;
        };
    }

    public static int bytesPerElement(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }
}
