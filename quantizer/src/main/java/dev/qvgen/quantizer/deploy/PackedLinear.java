package dev.qvgen.quantizer.deploy;

import dev.qvgen.quantizer.qat.ClipGroupRule;

/**
 * One deployed quantized linear layer: integer weight codes packed to {@code bits} bits with an
 * asymmetric step size and zero point per output channel ({@code W = s (q - z)}), how its input is
 * quantized, and the optional pieces some methods keep at inference: a per-input-channel smoothing
 * divisor (ViDiT-Q, SVDQuant) and a full-precision low-rank branch (SVDQuant). QVGen's and LSQ's
 * layers have neither.
 *
 * @param smooth null, or (in) divisors applied to the input before quantization
 * @param lowRankDown null, or (rank, in); {@code lowRankUp} (out, rank): adds {@code x down^T up^T}
 */
public record PackedLinear(int out, int in, int bits, byte[] packed, float[] scale, float[] zero,
        ActivationSpec activation, float[] smooth, float[] lowRankDown, float[] lowRankUp, int rank) {

    /**
     * How the layer's input is quantized: {@code dynamic} (RTN) or {@code clipped} (learnt clip
     * logits per timestep group, the group picked by {@code groupRule}; null for dynamic).
     */
    public record ActivationSpec(String kind, int bits, float[] lowerLogits, float[] upperLogits,
            ClipGroupRule groupRule) {
        public static ActivationSpec dynamic(int bits) {
            return new ActivationSpec("dynamic", bits, null, null, null);
        }

        public static ActivationSpec clipped(int bits, float[] lower, float[] upper) {
            return clipped(bits, lower, upper, ClipGroupRule.NOISE_LEVEL);
        }

        public static ActivationSpec clipped(int bits, float[] lower, float[] upper, ClipGroupRule rule) {
            return new ActivationSpec("clipped", bits, lower, upper, rule);
        }
    }

    public PackedLinear {
        if (packed.length != out * BitPacking.bytesPerRow(in, bits)) {
            throw new IllegalArgumentException("packed weight has " + packed.length + " bytes, expected "
                    + out * BitPacking.bytesPerRow(in, bits));
        }
        if (scale.length != out || zero.length != out) {
            throw new IllegalArgumentException("scale/zero need one entry per output channel (" + out + ")");
        }
    }

    /** Packs {@code codes} (out, in). */
    public static PackedLinear of(int out, int in, int bits, int[] codes, float[] scale, float[] zero,
            ActivationSpec act) {
        return new PackedLinear(out, in, bits, BitPacking.pack(codes, out, in, bits), scale, zero, act, null, null,
                null, 0);
    }

    public PackedLinear withSmoothing(float[] divisors) {
        return new PackedLinear(out, in, bits, packed, scale, zero, activation, divisors, lowRankDown, lowRankUp, rank);
    }

    public PackedLinear withLowRank(float[] down, float[] up, int r) {
        return new PackedLinear(out, in, bits, packed, scale, zero, activation, smooth, down, up, r);
    }

    public int[] codes() {
        return BitPacking.unpack(packed, out, in, bits);
    }

    /** Bytes this layer needs at inference: packed weight, scales and zero points, low-rank branch and smoothing in fp16. */
    public long deployedBytes() {
        long b = packed.length + 4L * (scale.length + zero.length);
        if (lowRankDown != null) {
            b += 2L * (lowRankDown.length + lowRankUp.length);
        }
        if (smooth != null) {
            b += 2L * smooth.length;
        }
        return b;
    }

    /** Extra multiply-adds per token of the low-rank branch (SVDQuant's inference overhead). */
    public long lowRankMacsPerToken() {
        return (long) rank * (in + out);
    }
}
