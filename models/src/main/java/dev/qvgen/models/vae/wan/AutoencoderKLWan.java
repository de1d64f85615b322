package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.io.WeightSources;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.vae.VaeOps;
import dev.qvgen.models.vae.VaeTiling;
import dev.qvgen.models.vae.VideoVae;

import java.nio.file.Path;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * diffusers' {@code AutoencoderKLWan} (the Wan2.1 video VAE) in DJL, float32, inference only,
 * parameter names as published. Videos and latents are (B, C, T, H, W).
 *
 * <p>Like the reference, encoding runs the causal encoder on the first frame and then on chunks
 * of 4 frames, and decoding on one latent frame at a time, carrying each causal convolution's
 * last frames from chunk to chunk in a feature cache; the result equals a whole-video pass but
 * only one chunk's activations are alive at a time (each chunk runs in its own {@link NDScope}).
 * With {@link #enableTiling} large frames are processed in overlapping spatial tiles whose seams
 * are blended linearly (not bit-equal to the untiled result).
 */
public final class AutoencoderKLWan extends Module implements VideoVae {
    private final WanVaeConfig config;
    private final WanEncoder3d encoder;
    private final WanCausalConv3d quantConv;
    private final WanCausalConv3d postQuantConv;
    private final WanDecoder3d decoder;

    private boolean useTiling;
    private int tileSampleMinHeight = 256;
    private int tileSampleMinWidth = 256;
    private int tileSampleStrideHeight = 192;
    private int tileSampleStrideWidth = 192;

    public AutoencoderKLWan(WanVaeConfig c) {
        this.config = c;
        encoder = child("encoder", new WanEncoder3d(c));
        quantConv = child("quant_conv", new WanCausalConv3d(2 * c.zDim(), 2 * c.zDim(), 1, 0));
        postQuantConv = child("post_quant_conv", new WanCausalConv3d(c.zDim(), c.zDim(), 1, 0));
        decoder = child("decoder", new WanDecoder3d(c));
    }

    /** Builds the VAE from a diffusers {@code vae/} directory. */
    public static AutoencoderKLWan fromPretrained(Path dir, NDManager manager) {
        AutoencoderKLWan m = new AutoencoderKLWan(WanVaeConfig.read(dir.resolve("config.json")));
        try (WeightSource src = WeightSources.open(dir, "diffusion_pytorch_model")) {
            WeightLoader.load(m, src, manager, Set.of());
        }
        return m;
    }

    public WanVaeConfig config() {
        return config;
    }

    /**
     * The posterior's parameters (B, 2·z_dim, 1 + (T−1)/4, H/8, W/8): mean, then log-variance, in
     * the caller's scope (freed with it, like an op's result).
     * {@code T} should be 1 + 4k; trailing frames beyond that are dropped, as in diffusers.
     */
    public NDArray encode(NDArray x) {
        checkRank(x, config.inChannels(), "video");
        Shape s = x.getShape();
        if (useTiling && (s.get(4) > tileSampleMinWidth || s.get(3) > tileSampleMinHeight)) {
            NDArray moments = tiledEncode(x);
            NDScope.register(moments); // in the caller's scope, as the untiled path's
            return moments;
        }
        return encodeChunks(x);
    }

    /** The chunked causal pass (first frame, then 4 frames at a time) and quant_conv. */
    private NDArray encodeChunks(NDArray x) {
        long frames = x.getShape().get(2);
        long chunks = 1 + (frames - 1) / 4;
        NDList outs = new NDList();
        try (WanFeatCache cache = new WanFeatCache()) {
            for (long i = 0; i < chunks; i++) {
                try (NDScope scope = new NDScope()) {
                    cache.rewind();
                    NDArray chunk = i == 0 ? VaeOps.slice(x, 2, 0, 1) : VaeOps.slice(x, 2, 1 + 4 * (i - 1), 1 + 4 * i);
                    NDArray out = encoder.forward(chunk, cache);
                    NDScope.unregister(out);
                    outs.add(out);
                }
            }
        }
        NDArray enc;
        try (NDScope scope = new NDScope()) {
            enc = quantConv.forward(NDArrays.concat(outs, 2), (NDArray) null);
            NDScope.unregister(enc);
            outs.close();
        }
        NDScope.register(enc); // in the caller's scope, like any op's result
        return enc;
    }

    /** The latent mean (the posterior's mode), before the pipeline's normalization. */
    @Override
    public NDArray encodeMean(NDArray x) {
        NDArray moments = encode(x);
        NDArray mean = VaeOps.slice(moments, 1, 0, config.zDim()).duplicate();
        moments.close();
        return mean;
    }

    /** Decodes (B, z_dim, T', h, w) latents to a video (B, C, 1 + 4(T'−1), 8h, 8w) clamped to [−1, 1]. */
    @Override
    public NDArray decode(NDArray z) {
        checkRank(z, config.zDim(), "latent");
        Shape s = z.getShape();
        int ratio = config.scaleFactorSpatial();
        if (useTiling && (s.get(4) > tileSampleMinWidth / ratio || s.get(3) > tileSampleMinHeight / ratio)) {
            return tiledDecode(z);
        }
        try (NDScope scope = new NDScope()) {
            NDArray video = decodeFrames(z).clip(-1f, 1f);
            NDScope.unregister(video);
            return video;
        }
    }

    /** post_quant_conv, then the decoder one latent frame at a time; not clamped. */
    private NDArray decodeFrames(NDArray z) {
        long frames = z.getShape().get(2);
        NDList outs = new NDList();
        NDArray video;
        try (NDScope outer = new NDScope(); WanFeatCache cache = new WanFeatCache()) {
            NDArray x = postQuantConv.forward(z, (NDArray) null);
            for (long i = 0; i < frames; i++) {
                try (NDScope scope = new NDScope()) {
                    cache.rewind();
                    NDArray out = decoder.forward(VaeOps.slice(x, 2, i, i + 1), cache);
                    NDScope.unregister(out);
                    outs.add(out);
                }
            }
            video = NDArrays.concat(outs, 2);
            NDScope.unregister(video);
            outs.close();
        }
        // in the caller's scope, like any op's result: decode() frees it once clamped (it was left
        // out of every scope, so the unclamped video stayed until its manager closed)
        NDScope.register(video);
        return video;
    }

    /**
     * diffusers' {@code enable_tiling} for this VAE: arguments that are null (or 0) keep their
     * value (defaults: tiles of 256 × 256 pixels every 192 pixels).
     */
    public void enableTiling(Integer minHeight, Integer minWidth, Integer strideHeight, Integer strideWidth) {
        useTiling = true;
        tileSampleMinHeight = orKeep(minHeight, tileSampleMinHeight);
        tileSampleMinWidth = orKeep(minWidth, tileSampleMinWidth);
        tileSampleStrideHeight = orKeep(strideHeight, tileSampleStrideHeight);
        tileSampleStrideWidth = orKeep(strideWidth, tileSampleStrideWidth);
    }

    private static int orKeep(Integer v, int current) {
        return v == null || v == 0 ? current : v;
    }

    public void disableTiling() {
        useTiling = false;
    }

    /** diffusers' {@code tiled_encode}: pixel tiles, blended and cropped in latent space. */
    NDArray tiledEncode(NDArray x) {
        return tiledEncode(x, this::encodeChunks);
    }

    /** {@link #tiledEncode(NDArray)} with another per-tile function (tests check the tile geometry with it). */
    NDArray tiledEncode(NDArray x, UnaryOperator<NDArray> encodeTile) {
        int r = config.scaleFactorSpatial();
        int minH = tileSampleMinHeight / r;
        int minW = tileSampleMinWidth / r;
        int strideH = tileSampleStrideHeight / r;
        int strideW = tileSampleStrideWidth / r;
        Shape s = x.getShape();
        try (NDScope scope = new NDScope()) {
            NDArray all = VaeTiling.run(x, tileSampleStrideHeight, tileSampleStrideWidth, tileSampleMinHeight,
                    tileSampleMinWidth, minH - strideH, minW - strideW, strideH, strideW, encodeTile);
            NDArray out = VaeOps.slice(VaeOps.slice(all, 3, 0, s.get(3) / r), 4, 0, s.get(4) / r).duplicate();
            NDScope.unregister(out);
            return out;
        }
    }

    /** diffusers' {@code tiled_decode}: latent tiles, blended and cropped in pixel space, then clamped. */
    NDArray tiledDecode(NDArray z) {
        return tiledDecode(z, this::decodeFrames);
    }

    /** {@link #tiledDecode(NDArray)} with another per-tile function (tests check the tile geometry with it). */
    NDArray tiledDecode(NDArray z, UnaryOperator<NDArray> decodeTile) {
        int r = config.scaleFactorSpatial();
        Shape s = z.getShape();
        try (NDScope scope = new NDScope()) {
            NDArray all = VaeTiling.run(z, tileSampleStrideHeight / r, tileSampleStrideWidth / r,
                    tileSampleMinHeight / r, tileSampleMinWidth / r,
                    tileSampleMinHeight - tileSampleStrideHeight, tileSampleMinWidth - tileSampleStrideWidth,
                    tileSampleStrideHeight, tileSampleStrideWidth, decodeTile);
            NDArray out = VaeOps.slice(VaeOps.slice(all, 3, 0, s.get(3) * r), 4, 0, s.get(4) * r).clip(-1f, 1f);
            NDScope.unregister(out);
            return out;
        }
    }

    /**
     * Pipeline latents → VAE latents, as {@code WanPipeline} does before decoding:
     * {@code latents / (1 / latents_std) + latents_mean} per channel.
     */
    public NDArray denormalizeLatents(NDArray latents) {
        NDManager m = latents.getManager();
        try (NDArray mean = channelVector(m, config.latentsMean(), false);
                NDArray invStd = channelVector(m, config.latentsStd(), true)) {
            return latents.div(invStd).add(mean);
        }
    }

    /** VAE latent mean → pipeline latents, as Wan's video-to-video pipeline does: {@code (z − mean) · (1 / std)}. */
    public NDArray normalizeLatents(NDArray z) {
        NDManager m = z.getManager();
        try (NDArray mean = channelVector(m, config.latentsMean(), false);
                NDArray invStd = channelVector(m, config.latentsStd(), true)) {
            return z.sub(mean).mul(invStd);
        }
    }

    private NDArray channelVector(NDManager m, double[] v, boolean reciprocal) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            // torch.tensor(list) is float32; the reciprocal is then taken in float32.
            f[i] = reciprocal ? 1.0f / (float) v[i] : (float) v[i];
        }
        return m.create(f, new Shape(1, v.length, 1, 1, 1));
    }

    private static void checkRank(NDArray x, int channels, String what) {
        Shape s = x.getShape();
        if (s.dimension() != 5 || s.get(1) != channels) {
            throw new IllegalArgumentException("AutoencoderKLWan: " + what + " must be (B, " + channels
                    + ", T, H, W), got " + s);
        }
    }
}
