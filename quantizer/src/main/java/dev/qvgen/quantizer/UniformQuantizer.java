package dev.qvgen.quantizer;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.OpClock;
import dev.qvgen.layers.nn.Scalars;

/**
 * Round-to-nearest uniform fake quantization (quantize then dequantize, in float32). Rounding is
 * torch's round (half to even).
 */
public final class UniformQuantizer {
    private static final float MIN_SCALE = 1e-8f;

    private UniformQuantizer() {}

    /**
     * Symmetric per-output-channel weight quantization: {@code s = max|w_row| / (2^(b-1) - 1)},
     * {@code q = clamp(round(w / s), -2^(b-1), 2^(b-1) - 1)}.
     *
     * @param w (out, in)
     */
    public static NDArray weightPerChannel(NDArray w, int bits) {
        NDArray scale = weightScale(w, bits);
        return weightCodes(w, scale, bits).mul(scale);
    }

    /** The per-output-channel step size {@code max|w_row| / (2^(b-1) - 1)}, shape (out, 1). */
    public static NDArray weightScale(NDArray w, int bits) {
        float qmax = (1 << (bits - 1)) - 1;
        return w.abs().max(new int[] {1}, true).div(qmax).maximum(MIN_SCALE);
    }

    /** Signed codes in {@code [-2^(b-1), 2^(b-1) - 1]} (as floats) for a given step size. */
    public static NDArray weightCodes(NDArray w, NDArray scale, int bits) {
        float qmax = (1 << (bits - 1)) - 1;
        float qmin = -(1 << (bits - 1));
        return w.div(scale).round().clip(qmin, qmax);
    }

    /**
     * Asymmetric dynamic per-token activation quantization over the last axis:
     * {@code s = (max - min) / (2^b - 1)}, {@code z = round(-min / s)},
     * {@code q = clamp(round(x / s) + z, 0, 2^b - 1)}, result {@code (q - z) s}.
     */
    public static NDArray activationPerToken(NDArray x, int bits) {
        return OpClock.time(OpClock.Kind.QUANTIZATION, x, () -> fakeQuantizePerToken(x, bits));
    }

    private static NDArray fakeQuantizePerToken(NDArray x, int bits) {
        ActivationCodes a = activationCodes(x, bits);
        // each full-size temporary is freed as soon as the next one exists: the quantizer runs on
        // the largest activations of a block (the FFN's 4x-wide hidden state), and holding all of
        // them until the layer's scope closes made the simulated model use twice bf16's memory
        NDArray centred = a.codes().sub(a.zero());
        a.codes().close();
        NDArray out = centred.mul(a.scale());
        centred.close();
        return out;
    }

    /**
     * The unsigned codes {@code q = clamp(round(x / s) + z, 0, 2^b - 1)}, zero point z and step s of
     * {@link #activationPerToken}, computed by the same operations in x's type (so the real
     * low-bit path sees exactly the integers the simulated path multiplies by s).
     */
    public static ActivationCodes activationCodes(NDArray x, int bits) {
        return OpClock.time(OpClock.Kind.QUANTIZATION, x, () -> codesPerToken(x, bits), ActivationCodes::codes);
    }

    private static ActivationCodes codesPerToken(NDArray x, int bits) {
        float levels = (1 << bits) - 1;
        int[] last = {-1};
        NDArray min = x.min(last, true);
        NDArray max = x.max(last, true);
        // constants made on the device: NDArray.op(Number) copies from host memory, a stream sync on CUDA
        NDArray range = max.sub(min);
        NDArray scale = range.div(Scalars.constant(range, levels)).maximum(Scalars.constant(range, MIN_SCALE));
        NDArray zero = min.neg().div(scale).round();
        NDArray scaled = x.div(scale);
        NDArray rounded = scaled.round();
        scaled.close();
        NDArray shifted = rounded.add(zero);
        rounded.close();
        NDArray q = shifted.clip(0f, levels);
        shifted.close();
        return new ActivationCodes(q, zero, scale);
    }

    /** Per-token activation codes (..., C), zero points and steps (..., 1). */
    public record ActivationCodes(NDArray codes, NDArray zero, NDArray scale) {}
}
