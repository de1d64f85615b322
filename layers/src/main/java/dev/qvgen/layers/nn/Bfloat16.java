package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * bfloat16 weights without a bfloat16 type: DJL 0.36's PyTorch JNI maps no dtype to bfloat16 (a
 * bfloat16 NDArray aborts the JVM), so a weight is held as its raw little-endian bytes (UINT8, two
 * per value, exactly as a safetensors file stores it: half the memory of float32) and widened to
 * float32 by engine ops on its own device when a layer uses it. The decoding is exact: with
 * {@code bits = hi * 256 + lo}, sign {@code s}, exponent {@code e} and mantissa {@code m}, the value is
 * {@code (1 - 2s) * (e == 0 ? m / 128 : 1 + m / 128) * 2^(max(e, 1) - 127)}; every factor and the
 * product are exact in float32 (the powers of two come from a table), inf and NaN included.
 */
public final class Bfloat16 {
    private Bfloat16() {}

    /** float32 bits → bfloat16 bits, rounding to nearest even (as torch's {@code .to(bfloat16)}). */
    public static int fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (bits >>> 16) | 0x40; // quiet NaN, sign kept
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (bits + rounding) >>> 16;
    }

    public static float toFloat(int bf16Bits) {
        return Float.intBitsToFloat((bf16Bits & 0xFFFF) << 16);
    }

    /** Little-endian bfloat16 bytes of {@code values}. */
    public static byte[] bytes(float[] values) {
        byte[] out = new byte[values.length * 2];
        for (int i = 0; i < values.length; i++) {
            int b = fromFloat(values[i]);
            out[2 * i] = (byte) b;
            out[2 * i + 1] = (byte) (b >>> 8);
        }
        return out;
    }

    /**
     * Widens raw bfloat16 bytes to float32 of {@code shape}.
     *
     * @param raw UINT8 with {@code 2 * shape.size()} elements, in the array's device
     */
    public static NDArray widen(NDArray raw, Shape shape) {
        NDManager m = raw.getManager();
        try (NDManager scope = m.newSubManager(raw.getDevice())) {
            NDArray pairs = raw.reshape(-1, 2).toType(DataType.FLOAT32, false);
            pairs.attach(scope);
            // powers of two: scaling by them (and by their inverses) is exact in float32
            NDArray bits = Scalars.mul(pairs.get(":, 1"), 256f).add(pairs.get(":, 0"));
            NDArray sign = Scalars.div(bits, 32768f).floor();
            NDArray rest = bits.sub(Scalars.mul(sign, 32768f));
            NDArray exp = Scalars.div(rest, 128f).floor();
            NDArray mant = rest.sub(Scalars.mul(exp, 128f));
            NDArray isZeroExp = Scalars.eq(exp, 0f);
            NDArray fraction = NDArrays.where(isZeroExp, Scalars.div(mant, 128f),
                    Scalars.add(Scalars.div(mant, 128f), 1f));
            NDArray scale = powerTable(scope, raw).get(exp.toType(DataType.INT64, false));
            NDArray value = Scalars.add(Scalars.mul(sign, -2f), 1f).mul(fraction).mul(scale);
            NDArray nan = Scalars.eq(exp, 255f).logicalAnd(Scalars.gt(mant, 0f));
            value = NDArrays.where(nan, scope.full(value.getShape(), Float.NaN, DataType.FLOAT32, raw.getDevice()),
                    value);
            NDArray out = value.reshape(shape);
            out.attach(m);
            return out;
        }
    }

    /** 2^(max(e, 1) - 127) for e in 0..254, and infinity for e = 255. */
    private static NDArray powerTable(NDManager scope, NDArray like) {
        float[] t = new float[256];
        for (int e = 0; e < 255; e++) {
            t[e] = Math.scalb(1f, Math.max(e, 1) - 127);
        }
        t[255] = Float.POSITIVE_INFINITY;
        return scope.create(t).toDevice(like.getDevice(), false);
    }
}
