package dev.qvgen.quantizer.deploy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.layers.io.TensorInfo;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.qat.ClipGroupRule;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A deployable quantized model as one safetensors file: every parameter of the model by its own
 * name except the weights of quantized layers, which are replaced by
 * {@code <layer>.qweight} (U8, codes packed by {@link BitPacking}), {@code <layer>.wscale},
 * {@code <layer>.wzero}, the activation clip logits {@code <layer>.act_lower|act_upper} where
 * learnt, and optionally {@code <layer>.smooth}, {@code <layer>.lowrank_down|lowrank_up}. The
 * metadata key {@code qlayer:<layer>} holds {@code bits,act kind,act bits,rank}; act kind is
 * {@code dynamic}, {@code clipped} (timestep groups by noise level), or {@code clipped:<rule>} for
 * another {@link dev.qvgen.quantizer.qat.ClipGroupRule} (the official ones, kept by released checkpoints).
 *
 * <p>Version 2 ({@link #FORMAT_V2}) names its weight layout in the metadata key
 * {@code qvgen.layout}: {@code packed} (as version 1) or {@code fp8}, the layout the GPU's FP8
 * GEMM loads directly ({@link LowBitLayout}): {@code <layer>.qweight} holds the codes
 * {@code e = q - o} as F8_E4M3 (out, in), one byte per weight, and {@code <layer>.woffset} (I32,
 * out) the offsets o; scale and zero point are stored as before. The CPU reader turns either back
 * into the same {@link PackedLinear}; version 1 files still load.
 */
public final class PackedExport {
    public static final String FORMAT = "qvgen-packed-v1";
    public static final String FORMAT_V2 = "qvgen-packed-v2";
    static final String LAYOUT_KEY = "qvgen.layout";

    /** How the quantized weights are stored. */
    public enum Layout {
        /** BitPacking's codes, {@code bits} per weight (format version 1's layout). */
        PACKED,
        /** FP8 e4m3 codes, 1 byte per weight, as the GPU path loads them. */
        FP8;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private PackedExport() {}

    /** Writes format version 1 (packed codes), as before. */
    public static void write(Path file, Module root, Map<String, PackedLinear> layers, Map<String, String> metadata)
            throws IOException {
        write(file, root, layers, metadata, null);
    }

    /**
     * Writes format version 2 with the given layout ({@code null}: version 1). {@link Layout#FP8}
     * fails with a clear message for layers whose codes FP8 cannot hold exactly.
     */
    public static void write(Path file, Module root, Map<String, PackedLinear> layers, Map<String, String> metadata,
            Layout layout) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, String> stored = new LinkedHashMap<>();
            Map<String, NDArray> t = new LinkedHashMap<>();
            root.namedParameters().forEach((name, p) -> {
                String layer = name.endsWith(".weight") ? name.substring(0, name.length() - ".weight".length()) : null;
                if (layer == null || !layers.containsKey(layer)) {
                    t.put(name, p.getArray());
                }
            });
            Map<String, String> meta = new LinkedHashMap<>(metadata);
            meta.put("qvgen.format", layout == null ? FORMAT : FORMAT_V2);
            if (layout != null) {
                meta.put(LAYOUT_KEY, layout.label());
            }
            layers.forEach((name, q) -> {
                if (layout == Layout.FP8) {
                    LowBitLayout lb = LowBitLayout.of(q, LowBitLayout.Codes.FP8);
                    t.put(name + ".qweight", m.create(ByteBuffer.wrap(lb.fp8Bytes()), new Shape(q.out(), q.in()),
                            DataType.UINT8));
                    stored.put(name + ".qweight", "F8_E4M3");
                    t.put(name + ".woffset", m.create(lb.offset()));
                } else {
                    t.put(name + ".qweight", m.create(ByteBuffer.wrap(q.packed()),
                            new Shape(q.out(), BitPacking.bytesPerRow(q.in(), q.bits())), DataType.UINT8));
                }
                t.put(name + ".wscale", m.create(q.scale()));
                t.put(name + ".wzero", m.create(q.zero()));
                PackedLinear.ActivationSpec a = q.activation();
                if (a.lowerLogits() != null) {
                    t.put(name + ".act_lower", m.create(a.lowerLogits()));
                    t.put(name + ".act_upper", m.create(a.upperLogits()));
                }
                if (q.smooth() != null) {
                    t.put(name + ".smooth", m.create(q.smooth()));
                }
                if (q.lowRankDown() != null) {
                    t.put(name + ".lowrank_down", m.create(q.lowRankDown(), new Shape(q.rank(), q.in())));
                    t.put(name + ".lowrank_up", m.create(q.lowRankUp(), new Shape(q.out(), q.rank())));
                }
                String kind = a.groupRule() == null || a.groupRule() == ClipGroupRule.NOISE_LEVEL ? a.kind()
                        : a.kind() + ":" + a.groupRule().label();
                meta.put("qlayer:" + name, q.bits() + "," + kind + "," + a.bits() + "," + q.rank());
            });
            SafeTensorsWriter.write(file, t, meta, stored);
        }
    }

    /**
     * Loads an export into {@code root} (a model of the same architecture): its plain parameters
     * are overwritten, and each quantized layer gets a {@link DeployedLinearKernel}.
     */
    public static Map<String, DeployedLinearKernel> load(Path file, Module root, NDManager manager) {
        Map<String, DeployedLinearKernel> kernels = new LinkedHashMap<>();
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            Layout layout = layoutOf(f);
            Map<String, Linear> linears = LayerSelection.linears(root, p -> true);
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            f.metadata().forEach((k, v) -> {
                if (k.startsWith("qlayer:")) {
                    String name = k.substring("qlayer:".length());
                    Linear l = linears.get(name);
                    if (l == null) {
                        throw new CheckpointException(file + ": quantized layer " + name + " is not in the model");
                    }
                    packed.put(name, read(f, name, v, l, layout));
                }
            });
            for (var e : root.namedParameters().entrySet()) {
                String name = e.getKey();
                String layer = name.endsWith(".weight") ? name.substring(0, name.length() - ".weight".length()) : null;
                if (layer != null && packed.containsKey(layer)) {
                    continue;
                }
                f.loadInto(name, e.getValue().getArray(), manager);
            }
            packed.forEach((name, p) -> {
                DeployedLinearKernel k = new DeployedLinearKernel(p, manager);
                Linear l = linears.get(name);
                if (l.kernel() instanceof AutoCloseable c) {
                    try {
                        c.close();
                    } catch (Exception ex) {
                        throw new IllegalStateException(ex);
                    }
                }
                l.setKernel(k);
                kernels.put(name, k);
            });
        }
        return kernels;
    }

    /** Total bytes of the deployed weights of the quantized layers. */
    public static long deployedBytes(Map<String, PackedLinear> layers) {
        return layers.values().stream().mapToLong(PackedLinear::deployedBytes).sum();
    }

    /** The file's weight layout; fails with one clear line for a file that is no packed export. */
    static Layout layoutOf(SafeTensorsFile f) {
        String format = f.metadata().get("qvgen.format");
        if (FORMAT.equals(format)) {
            return Layout.PACKED;
        }
        if (!FORMAT_V2.equals(format)) {
            throw new CheckpointException(f.describe() + ": not a packed quantized model (metadata qvgen.format is "
                    + format + ", expected " + FORMAT + " or " + FORMAT_V2 + ")");
        }
        String layout = f.metadata().get(LAYOUT_KEY);
        for (Layout l : Layout.values()) {
            if (l.label().equals(layout)) {
                return l;
            }
        }
        throw new CheckpointException(f.describe() + ": unknown weight layout " + LAYOUT_KEY + "=" + layout
                + " (expected packed or fp8)");
    }

    private static PackedLinear read(SafeTensorsFile f, String name, String spec, Linear l, Layout layout) {
        String[] parts = spec.split(",");
        if (parts.length != 4) {
            throw new CheckpointException(f.describe() + ": bad metadata for quantized layer " + name + ": " + spec);
        }
        int bits = Integer.parseInt(parts[0]);
        int actBits = Integer.parseInt(parts[2]);
        int rank = Integer.parseInt(parts[3]);
        int out = l.outFeatures();
        int in = l.inFeatures();
        byte[] packed;
        if (layout == Layout.FP8) {
            byte[] fp8 = bytes(f, name + ".qweight", (long) out * in, "F8_E4M3");
            int[] offset = ints(f, name + ".woffset", out);
            try {
                packed = BitPacking.pack(LowBitLayout.codesFromFp8(fp8, out, in, offset), out, in, bits);
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(f.describe() + ": layer " + name + ": " + e.getMessage());
            }
        } else {
            packed = bytes(f, name + ".qweight", (long) out * BitPacking.bytesPerRow(in, bits), "U8");
        }
        float[] scale = floats(f, name + ".wscale", out);
        float[] zero = floats(f, name + ".wzero", out);
        PackedLinear.ActivationSpec act;
        if (parts[1].equals("dynamic")) {
            act = PackedLinear.ActivationSpec.dynamic(actBits);
        } else if (parts[1].equals("clipped") || parts[1].startsWith("clipped:")) {
            ClipGroupRule rule;
            try {
                rule = parts[1].equals("clipped") ? ClipGroupRule.NOISE_LEVEL
                        : ClipGroupRule.parse(parts[1].substring("clipped:".length()));
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(f.describe() + ": layer " + name + ": " + e.getMessage());
            }
            act = PackedLinear.ActivationSpec.clipped(actBits, floats(f, name + ".act_lower", -1),
                    floats(f, name + ".act_upper", -1), rule);
        } else {
            throw new CheckpointException(f.describe() + ": layer " + name + " has unknown activation quantizer "
                    + parts[1]);
        }
        PackedLinear p = new PackedLinear(out, in, bits, packed, scale, zero, act, null, null, null, 0);
        if (f.names().contains(name + ".smooth")) {
            p = p.withSmoothing(floats(f, name + ".smooth", in));
        }
        if (rank > 0) {
            p = p.withLowRank(floats(f, name + ".lowrank_down", (long) rank * in),
                    floats(f, name + ".lowrank_up", (long) out * rank), rank);
        }
        return p;
    }

    private static TensorInfo info(SafeTensorsFile f, String name, long numel) {
        if (!f.names().contains(name)) {
            throw new CheckpointException(f.describe() + ": missing tensor " + name);
        }
        TensorInfo t = f.info(name);
        if (numel >= 0 && t.numel() != numel) {
            throw new CheckpointException(f.describe() + ": tensor " + name + " has " + t.numel() + " elements, expected "
                    + numel);
        }
        return t;
    }

    private static byte[] bytes(SafeTensorsFile f, String name, long numel, String dtype) {
        TensorInfo t = info(f, name, numel);
        if (!t.dtype().equals(dtype)) {
            throw new CheckpointException(f.describe() + ": tensor " + name + " is " + t.dtype() + ", expected " + dtype);
        }
        byte[] b = new byte[Math.toIntExact(t.numel())];
        f.map(t).get(b);
        return b;
    }

    private static int[] ints(SafeTensorsFile f, String name, long numel) {
        TensorInfo t = info(f, name, numel);
        if (!t.dtype().equals("I32")) {
            throw new CheckpointException(f.describe() + ": tensor " + name + " is " + t.dtype() + ", expected I32");
        }
        int[] v = new int[Math.toIntExact(t.numel())];
        f.map(t).asIntBuffer().get(v);
        return v;
    }

    private static float[] floats(SafeTensorsFile f, String name, long numel) {
        TensorInfo t = info(f, name, numel);
        if (!t.dtype().equals("F32")) {
            throw new CheckpointException(f.describe() + ": tensor " + name + " is " + t.dtype() + ", expected F32");
        }
        float[] v = new float[Math.toIntExact(t.numel())];
        f.map(t).asFloatBuffer().get(v);
        return v;
    }
}
