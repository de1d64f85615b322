package dev.qvgen.quantizer.deploy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.LinearKernel;
import dev.qvgen.quantizer.DenseWeight;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.UniformQuantizer;

import java.nio.ByteBuffer;

/**
 * The real low-bit linear layer: weights held as integer codes (FP8 e4m3 or int8, one byte each,
 * or packed 4-bit) with per-channel scales, the input quantized per token (RTN's dynamic quantizer)
 * and multiplied as integers; no full-precision copy of the weight is kept.
 *
 * <p>On CUDA it runs {@link LowBitModules#LINEAR}: the qvgen_lowbit activation kernel, then
 * {@code torch._scaled_mm} (FP8, row-wise scales, bias in the epilogue) or {@code torch._int_mm}
 * plus a fused epilogue (int8), then the rank-2 correction of {@link LowBitLayout#correction()}.
 * On the CPU it emulates that path: the stored codes (FP8 bytes decoded) times the activation codes
 * in float64, where every integer sum is exact, then the scales, correction and bias. Either way
 * the result is the simulated (fake-quantized) product up to the output's rounding.
 *
 * <p>The correction: the activation codes are {@code c = q - o} with {@code o} the zero point
 * clamped to [0, 2^b - 1] (so c is exact in the code type); a token whose range excludes 0 has
 * {@code d = o - z != 0}, and LSQ+ weights a fractional zero point f. Both enter as
 * {@code y += u v}. On CUDA a fractional f needs it on every token (one pass over the output); d alone
 * only on the tokens whose d is not 0, which the ops library's {@code correct_rows_} finds on the
 * device without a host sync (real activations almost never have such a token, so the pass that
 * {@code addmm_} made over every output, up to 0.68 ms a layer, shrinks to a check of u).
 */
public final class LowBitLinearKernel implements LinearKernel, AutoCloseable {
    private final NDManager manager;
    private final int out;
    private final int in;
    private final int activationBits;
    private final LowBitLayout.Codes codes;
    private final boolean packed;
    private final boolean correct;
    private final long deviceBytes;
    // CUDA path
    private final NDArray weight;
    private final NDArray offset;
    private final NDArray scale;
    private final NDArray v;
    private final NDArray empty;
    private final NDArray config;
    // CPU emulation: codes^T (in, out) in float64
    private final NDArray codesT;
    private boolean installed;
    // the group of kernels whose layers may read the same input (null: quantize every call)
    private SharedActivationCodes shared;
    // the dense weight of the layer this kernel was installed on with DenseWeight.PARK
    private DenseWeight.Parked parked = DenseWeight.Parked.NONE;

    /** Which outputs the rank-2 correction touches on CUDA (the module's config[3]). */
    enum Correction {
        NONE,
        /** Only tokens whose zero point left [0, 2^b - 1] (d != 0); the weight has no fractional zero point. */
        TOKENS_WITH_OFFSET,
        /** Every token: a fractional weight zero point enters every output. */
        EVERY_TOKEN;

        static Correction of(boolean needed, boolean fractionalWeightZero) {
            return !needed ? NONE : fractionalWeightZero ? EVERY_TOKEN : TOKENS_WITH_OFFSET;
        }
    }

    private LowBitLinearKernel(NDManager manager, int out, int in, int activationBits, LowBitLayout.Codes codes,
            boolean packed, Correction correction, long deviceBytes, NDArray weight, NDArray offset, NDArray scale,
            NDArray v, NDArray codesT) {
        this.manager = manager;
        this.out = out;
        this.in = in;
        this.activationBits = activationBits;
        this.codes = codes;
        this.packed = packed;
        this.correct = correction != Correction.NONE;
        this.deviceBytes = deviceBytes;
        this.weight = weight;
        this.offset = offset;
        this.scale = scale;
        this.v = v;
        this.codesT = codesT;
        this.empty = manager.create(new float[0]);
        this.config = weight == null ? null : NDManager.newBaseManager(ai.djl.Device.cpu()).create(new long[] {activationBits,
            codes == LowBitLayout.Codes.INT8 ? 1 : 0, packed ? 1 : 0, correction.ordinal()});
        // what the kernel holds outlives any scope its maker has open
        for (NDArray a : new NDArray[] {weight, offset, scale, v, codesT, empty, config}) {
            if (a != null) {
                NDScope.unregister(a);
            }
        }
    }

    /**
     * Makes this kernel {@code layer}'s and takes the layer's dense weight off the device, so the
     * deployed weights are the codes alone (W4A4 on FP8 codes: about 0.51x of bf16's bytes, packed
     * 0.27x): {@link DenseWeight#FREE} frees it, {@link DenseWeight#PARK} keeps it on the host until
     * {@link #close}. Nothing else holds the dense array: the kernel read it once, for its codes.
     */
    public LowBitLinearKernel install(Linear layer, DenseWeight dense) {
        if (installed) {
            throw new IllegalStateException("kernel already installed");
        }
        installed = true;
        layer.setKernel(this);
        parked = dense.takeFrom(layer);
        return this;
    }

    /**
     * Lets this kernel take the activation codes of an input that another kernel of {@code group}
     * quantized last (q, k and v read one array). Returns this kernel.
     */
    public LowBitLinearKernel shareActivationCodes(SharedActivationCodes group) {
        this.shared = group;
        return this;
    }

    /** Checks that {@code spec} runs exactly on {@code codes}; the message names the setting. */
    public static void check(QuantSpec spec, LowBitLayout.Codes codes, boolean packed) {
        if (!codes.holds(spec.weightBits(), spec.activationBits())) {
            throw new IllegalArgumentException(spec.label() + " does not run exactly on " + codes
                    + " codes (FP8: weights up to 5 bits, activations up to 4; int8: up to 8)");
        }
        if (packed && (spec.weightBits() > 4 || codes != LowBitLayout.Codes.FP8)) {
            throw new IllegalArgumentException("packed 4-bit weights need FP8 codes and weights of at most 4 bits, not "
                    + spec.label() + " on " + codes);
        }
    }

    /**
     * RTN's weights of {@code layer} (the same codes and steps as {@link dev.qvgen.quantizer.RtnLinearKernel},
     * computed in the layer's type) as a real kernel with a dynamic per-token activation quantizer.
     */
    public static LowBitLinearKernel rtn(Linear layer, QuantSpec spec, LowBitLayout.Codes codes, boolean packed,
            NDManager parent) {
        check(spec, codes, packed);
        NDArray w = layer.weight();
        if (!w.getDevice().isGpu()) {
            return of(LowBitLayout.of(Rtn.pack(layer, spec), codes), spec.activationBits(), packed, false, parent);
        }
        NDManager m = parent.newSubManager(w.getDevice());
        int out = layer.outFeatures();
        int in = layer.inFeatures();
        NDArray[] made = deviceCodes(w, spec.weightBits(), packed, m);
        NDArray stepT = made[0];
        NDArray rowSum = made[1];
        NDArray codesInt8 = made[2];
        NDArray v = rowSum.concat(m.zeros(new Shape(1, out)), 0);
        NDArray weight;
        NDArray offset = null;
        if (packed) {
            weight = codesInt8;
            int[] off = new int[out];
            java.util.Arrays.fill(off, 1 << (spec.weightBits() - 1));
            offset = m.create(off);
        } else if (codes == LowBitLayout.Codes.FP8) {
            weight = fp8(codesInt8, m);
        } else {
            weight = codesInt8;
        }
        long bytes = (packed ? (long) out * BitPacking.bytesPerRow(in, 4) : (long) out * in) + 8L * out;
        return new LowBitLinearKernel(m, out, in, spec.activationBits(), codes, packed,
                Correction.TOKENS_WITH_OFFSET, bytes, weight, offset,
                stepT, v, null);
    }

    /**
     * A deployed layer's layout (from {@link PackedExport}) with RTN's dynamic activation
     * quantizer. {@code clampedZero}: the activation zero point is known to lie in [0, 2^b - 1]
     * for every token, so only a fractional weight zero point needs the correction.
     */
    public static LowBitLinearKernel of(LowBitLayout l, int activationBits, boolean packed, boolean clampedZero,
            NDManager parent) {
        check(new QuantSpec(l.bits(), activationBits), l.codes(), packed);
        NDManager m = parent.newSubManager();
        Correction correct = Correction.of(
                l.hasFraction() || !clampedZero || (1 << activationBits) - 1 > l.codes().holdsUpTo(), l.hasFraction());
        NDArray v = m.create(l.correction(), new Shape(2, l.out()));
        NDArray step = m.create(l.scale(), new Shape(1, l.out()));
        long bytes = l.deviceBytes(packed);
        if (!m.getDevice().isGpu()) {
            // the emulation multiplies the stored codes: FP8 bytes decoded, or the int8 codes
            double[] t = new double[l.in() * l.out()];
            byte[] stored = l.codes() == LowBitLayout.Codes.FP8 ? l.fp8Bytes() : l.int8Codes();
            for (int r = 0; r < l.out(); r++) {
                for (int c = 0; c < l.in(); c++) {
                    byte b = stored[r * l.in() + c];
                    t[c * l.out() + r] = l.codes() == LowBitLayout.Codes.FP8 ? Fp8E4m3.decode(b) : b;
                }
            }
            NDArray codesT = m.create(t, new Shape(l.in(), l.out()));
            return new LowBitLinearKernel(m, l.out(), l.in(), activationBits, l.codes(), packed, correct, bytes, null,
                    null, step, v, codesT);
        }
        NDArray weight;
        NDArray offset = null;
        if (packed) {
            weight = m.create(ByteBuffer.wrap(l.packed4()), new Shape(l.out(), BitPacking.bytesPerRow(l.in(), 4)),
                    DataType.UINT8);
            offset = m.create(l.offset());
        } else {
            NDArray int8 = m.create(ByteBuffer.wrap(l.int8Codes()), new Shape(l.out(), l.in()), DataType.INT8);
            weight = l.codes() == LowBitLayout.Codes.FP8 ? fp8(int8, m) : int8;
        }
        return new LowBitLinearKernel(m, l.out(), l.in(), activationBits, l.codes(), packed, correct, bytes, weight,
                offset, step, v, null);
    }

    /**
     * The device path's arrays from a dense weight (out, in) in its own type: the per-channel steps
     * (1, out) and their row sums of codes times step (1, out), both float32, and the codes (int8, or
     * packed 4-bit as uint8), all in {@code m}. Every temporary (|w|, w / step, its rounding, the
     * float32 codes, the packing's halves) is made in a scope and freed with it: they go to the
     * weight's manager, the model's, where nothing freed them before, so each install left about
     * three dense copies of the weights behind on the device (and profile's rows grew one after the
     * other). Runs on any device (the tests run it on the CPU).
     */
    static NDArray[] deviceCodes(NDArray w, int bits, boolean packed, NDManager m) {
        int out = (int) w.getShape().get(0);
        try (NDScope scope = new NDScope()) {
            NDArray step = UniformQuantizer.weightScale(w, bits);
            NDArray c = UniformQuantizer.weightCodes(w, step, bits);
            NDArray c32 = c.toType(DataType.FLOAT32, false);
            NDArray stepT = step.toType(DataType.FLOAT32, false).reshape(1, out);
            NDArray rowSum = c32.sum(new int[] {1}).reshape(1, out).mul(stepT);
            NDArray codes;
            if (packed) {
                // BitPacking's 4-bit layout on the device: q = code + 2^(b-1), two per byte, low nibble first
                NDArray q = c32.add(1 << (bits - 1));
                codes = q.get(":, 0::2").add(q.get(":, 1::2").mul(16)).toType(DataType.UINT8, false);
            } else {
                codes = c32.toType(DataType.INT8, false);
            }
            NDArray[] kept = {stepT, rowSum, codes};
            for (NDArray a : kept) {
                NDScope.unregister(a);
                a.attach(m);
            }
            return kept;
        }
    }

    private static NDArray fp8(NDArray int8, NDManager m) {
        if (!LowBitModules.INT8_TO_FP8.available()) {
            throw new IllegalStateException("the real low-bit path on CUDA needs its TorchScript modules: "
                    + LowBitModules.INT8_TO_FP8.unavailableReason());
        }
        NDArray f = LowBitModules.INT8_TO_FP8.apply(int8);
        f.attach(m);
        int8.close();
        return f;
    }

    @Override
    public NDArray apply(Linear layer, NDArray x) {
        NDArray bias = layer.biasOrNull();
        if (weight != null) {
            if (!LowBitModules.LINEAR.available()) {
                throw new IllegalStateException("the real low-bit path on CUDA needs its TorchScript modules: "
                        + LowBitModules.LINEAR.unavailableReason());
            }
            NDArray none = empty.toDevice(x.getDevice(), false);
            NDArray off = offset == null ? none : offset;
            NDArray b = bias == null ? none : bias;
            if (shared != null && splitModulesAvailable()) {
                NDList a = shared.codes(x, activationBits, codes == LowBitLayout.Codes.INT8,
                        () -> LowBitModules.ACT_QUANT.applyList(x, none, none, config));
                return LowBitModules.MATMUL.apply(x, a.get(0), a.get(1), a.get(2), weight, off, scale, b, v, config);
            }
            return LowBitModules.LINEAR.apply(x, weight, off, scale, b, v, none, none, config);
        }
        return emulate(x, bias);
    }

    private static volatile boolean splitWarned;

    /**
     * The quantizer and the product as two modules (made with LINEAR by make_lowbit_modules.py);
     * a jar made before them has LINEAR alone, which still gives the same result, one quantization
     * per layer.
     */
    private static boolean splitModulesAvailable() {
        if (LowBitModules.ACT_QUANT.available() && LowBitModules.MATMUL.available()) {
            return true;
        }
        if (!splitWarned) {
            splitWarned = true;
            System.err.println("low-bit kernels: each layer quantizes its own input (" + (LowBitModules.ACT_QUANT
                    .available() ? LowBitModules.MATMUL.unavailableReason() : LowBitModules.ACT_QUANT.unavailableReason())
                    + ")");
        }
        return false;
    }

    /** The CPU emulation: integer products of the codes, exact in float64, then scales, correction and bias. */
    private NDArray emulate(NDArray x, NDArray bias) {
        Shape s = x.getShape();
        long tokens = s.size() / in;
        NDList a = shared == null ? codesOf(x) : shared.codes(x, activationBits, false, () -> codesOf(x));
        NDArray q = a.get(0).reshape(tokens, in).toType(DataType.FLOAT64, false);
        NDArray z = a.get(1).reshape(tokens, 1).toType(DataType.FLOAT64, false);
        NDArray sx = a.get(2).reshape(tokens, 1).toType(DataType.FLOAT64, false);
        float levels = (1 << activationBits) - 1;
        NDArray o = levels <= codes.holdsUpTo() ? z.clip(0f, levels) : z.zerosLike().add(1 << (activationBits - 1));
        NDArray c = q.sub(o);
        NDArray d = o.sub(z);
        NDArray y = c.matMul(codesT).mul(sx).mul(scale.toType(DataType.FLOAT64, false));
        if (correct) {
            NDArray v64 = v.toType(DataType.FLOAT64, false);
            NDArray u0 = sx.mul(d);
            NDArray u1 = sx.mul(c.sum(new int[] {1}, true).add(d.mul(in))).neg();
            y = y.add(u0.mul(v64.get(0))).add(u1.mul(v64.get(1)));
        }
        if (bias != null) {
            y = y.add(bias.toType(DataType.FLOAT64, false));
        }
        long[] dims = s.getShape().clone();
        dims[dims.length - 1] = out;
        // Precision.like: DJL cannot name bfloat16 for toType
        return dev.qvgen.layers.nn.Precision.like(y, x).reshape(new Shape(dims));
    }

    private NDList codesOf(NDArray x) {
        UniformQuantizer.ActivationCodes a = UniformQuantizer.activationCodes(x, activationBits);
        return new NDList(a.codes(), a.zero(), a.scale());
    }

    /** Bytes of the weight on the device: codes, scales and offsets. */
    public long deviceBytes() {
        return deviceBytes;
    }

    public boolean corrects() {
        return correct;
    }

    /** Frees the codes; a weight parked by {@link #install} goes back to its layer first. */
    @Override
    public void close() {
        if (shared != null) {
            shared.clear();
        }
        parked.restore();
        if (config != null) {
            config.getManager().close();
        }
        manager.close();
    }
}
