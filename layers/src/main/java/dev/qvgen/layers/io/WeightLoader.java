package dev.qvgen.layers.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Assigns a checkpoint's tensors to a module's parameters by their reference names. Every name
 * and shape is checked before the first tensor is read, so a wrong checkpoint fails fast and
 * names the tensor.
 */
public final class WeightLoader {
    private WeightLoader() {}

    public static void load(Module root, WeightSource source, NDManager manager, Set<String> ignoredExtra) {
        Map<String, Parameter> params = root.namedParameters();
        Map<String, Shape> shapes = declaredShapes(root);
        for (var e : params.entrySet()) {
            String name = e.getKey();
            if (!source.names().contains(name)) {
                throw new CheckpointException(source.describe() + ": missing tensor " + name);
            }
            String dtype = source.info(name).dtype();
            if (!TensorInfo.isFloating(dtype)) {
                // the right byte size is no proof: an F32 tensor written as I32 has it too
                throw new CheckpointException(source.describe() + ": tensor " + name + " is stored as " + dtype
                        + ", but the layer needs a floating-point tensor (F32, F16, BF16 or F64)");
            }
            long[] actual = source.info(name).shape();
            long[] expected = shapes.get(name).getShape();
            if (!Arrays.equals(actual, expected)) {
                throw new CheckpointException(source.describe() + ": tensor " + name + " has shape "
                        + Arrays.toString(actual) + ", expected " + Arrays.toString(expected));
            }
        }
        Set<String> extra = new TreeSet<>(source.names());
        extra.removeAll(params.keySet());
        extra.removeAll(ignoredExtra);
        if (!extra.isEmpty()) {
            throw new CheckpointException(source.describe() + ": unexpected tensor " + extra.iterator().next()
                    + (extra.size() > 1 ? " (and " + (extra.size() - 1) + " more)" : ""));
        }
        Set<String> half = halfStored(root);
        for (var e : params.entrySet()) {
            // One tensor at a time, converted while read: the checkpoint is memory-mapped, so the
            // model's weights exist once (in the engine), plus one chunk of conversion scratch.
            NDArray a = !half.contains(e.getKey()) ? source.load(e.getKey(), manager, DataType.FLOAT32)
                    : storage() == Storage.BF16 ? source.loadBf16Bytes(e.getKey(), manager)
                    : source.load(e.getKey(), manager, DataType.FLOAT16);
            e.getValue().setArray(a);
        }
    }

    /** How weights are held in memory; computation is float32 either way. */
    public enum Storage {
        /** Every floating-point weight as float32. */
        FP32,
        /**
         * Linear-layer weight matrices (the bulk of a transformer's and text encoder's parameters)
         * as float16, widened to float32 one layer at a time when used; everything else float32.
         * Halves the resident weights. bfloat16 would keep the checkpoints' own range but DJL 0.36's
         * JNI has no bfloat16 type (such an NDArray aborts the JVM), so bf16 checkpoints are rounded
         * to float16 (values beyond ±65504 would overflow; trained weights are far smaller).
         */
        FP16,
        /**
         * Linear-layer weight matrices kept as bfloat16: their raw bytes (UINT8, see
         * {@code nn.Bfloat16}, since DJL 0.36 has no bfloat16 type), widened exactly to float32
         * one layer at a time when used. The same memory as FP16 and a bf16 checkpoint's own values.
         */
        BF16
    }

    private static final ThreadLocal<Storage> STORAGE = ThreadLocal.withInitial(() -> Storage.FP32);

    /** The storage used by loads (and random initialisation) on this thread. */
    public static Storage storage() {
        return STORAGE.get();
    }

    /**
     * Sets the storage for the loads that follow on this thread, until the returned scope is
     * closed, e.g. around {@code VideoPipeline.fromPretrained}.
     */
    public static AutoCloseable withStorage(Storage s) {
        Storage before = STORAGE.get();
        STORAGE.set(s);
        return () -> STORAGE.set(before);
    }

    /** Names of the parameters that the current {@link #storage()} keeps in 16 bits. */
    public static Set<String> halfStored(Module root) {
        Set<String> out = new TreeSet<>();
        if (storage() == Storage.FP32) {
            return out;
        }
        root.namedModules().forEach((path, m) -> {
            if (m instanceof Linear) {
                out.add(path.isEmpty() ? "weight" : path + ".weight");
            }
        });
        return out;
    }

    /** Declared shapes of every parameter below {@code root}, keyed like {@link Module#namedParameters()}. */
    public static Map<String, Shape> declaredShapes(Module root) {
        Map<String, Shape> out = new java.util.LinkedHashMap<>();
        root.namedModules().forEach((path, m) -> m.declaredShapes()
                .forEach((k, v) -> out.put(path.isEmpty() ? k : path + "." + k, v)));
        return out;
    }
}
