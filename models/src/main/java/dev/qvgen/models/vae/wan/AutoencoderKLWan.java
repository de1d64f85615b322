package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.models.io.WeightLoader;
import dev.qvgen.models.io.WeightSource;
import dev.qvgen.models.io.WeightSources;
import dev.qvgen.models.nn.Module;
import dev.qvgen.models.vae.VaeOps;
import dev.qvgen.models.vae.VideoVae;

import java.nio.file.Path;
import java.util.Set;

/**
 * diffusers' {@code AutoencoderKLWan} (the Wan2.1 video VAE) in DJL, float32, inference only,
 * parameter names as published. Videos and latents are (B, C, T, H, W).
 *
 * <p>Like the reference, encoding runs the causal encoder on the first frame and then on chunks
 * of 4 frames, and decoding on one latent frame at a time, carrying each causal convolution's
 * last frames from chunk to chunk in a feature cache; the result equals a whole-video pass but
 * only one chunk's activations are alive at a time (each chunk runs in its own {@link NDScope}).
 */
public final class AutoencoderKLWan extends Module implements VideoVae {
    private final WanVaeConfig config;
    private final WanEncoder3d encoder;
    private final WanCausalConv3d quantConv;
    private final WanCausalConv3d postQuantConv;
    private final WanDecoder3d decoder;

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
     * The posterior's parameters (B, 2·z_dim, 1 + (T−1)/4, H/8, W/8): mean, then log-variance.
     * {@code T} should be 1 + 4k; trailing frames beyond that are dropped, as in diffusers.
     */
    public NDArray encode(NDArray x) {
        checkRank(x, config.inChannels(), "video");
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
        try (NDScope scope = new NDScope()) {
            NDArray enc = quantConv.forward(NDArrays.concat(outs, 2), (NDArray) null);
            NDScope.unregister(enc);
            outs.close();
            return enc;
        }
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
        long frames = z.getShape().get(2);
        NDList outs = new NDList();
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
            NDArray video = NDArrays.concat(outs, 2).clip(-1f, 1f);
            NDScope.unregister(video);
            outs.close();
            return video;
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
