package dev.qvgen.models.vae.cogvideox;

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
import dev.qvgen.layers.nn.Scalars;
import dev.qvgen.models.vae.VaeOps;
import dev.qvgen.models.vae.VaeTiling;
import dev.qvgen.models.vae.VideoVae;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * diffusers' {@code AutoencoderKLCogVideoX} in DJL, float32, inference only, parameter names as
 * published. Videos and latents are (B, C, T, H, W); the CogVideoX pipelines keep latents as
 * (B, T, C, H, W), see {@link #decodePipelineLatents}.
 *
 * <p>As in the reference, encoding runs on batches of 8 frames and decoding on batches of 2
 * latent frames (the first batch also takes the remainder), carrying each causal convolution's
 * last frames from batch to batch; each batch runs in its own {@link NDScope}. With
 * {@link #enableTiling} large frames are cut into overlapping tiles whose seams are blended
 * linearly, which bounds memory but is not bit-equal to the untiled result.
 */
public final class AutoencoderKLCogVideoX extends Module implements VideoVae {
    /** diffusers' {@code num_sample_frames_batch_size}. */
    public static final int SAMPLE_FRAMES_BATCH = 8;
    /** diffusers' {@code num_latent_frames_batch_size}. */
    public static final int LATENT_FRAMES_BATCH = 2;

    private final CogVideoXVaeConfig config;
    private final CogVideoXEncoder3D encoder;
    private final CogVideoXDecoder3D decoder;

    private boolean useTiling;
    private int tileSampleMinHeight;
    private int tileSampleMinWidth;
    private int tileLatentMinHeight;
    private int tileLatentMinWidth;
    private double tileOverlapFactorHeight = 1.0 / 6;
    private double tileOverlapFactorWidth = 1.0 / 5;

    public AutoencoderKLCogVideoX(CogVideoXVaeConfig c) {
        this.config = c;
        encoder = child("encoder", new CogVideoXEncoder3D(c));
        decoder = child("decoder", new CogVideoXDecoder3D(c));
        setTileSampleMin(c.sampleHeight() / 2, c.sampleWidth() / 2);
    }

    /** Builds the VAE from a diffusers {@code vae/} directory. */
    public static AutoencoderKLCogVideoX fromPretrained(Path dir, NDManager manager) {
        AutoencoderKLCogVideoX m = new AutoencoderKLCogVideoX(CogVideoXVaeConfig.read(dir.resolve("config.json")));
        try (WeightSource src = WeightSources.open(dir, "diffusion_pytorch_model")) {
            WeightLoader.load(m, src, manager, Set.of());
        }
        return m;
    }

    public CogVideoXVaeConfig config() {
        return config;
    }

    private void setTileSampleMin(int height, int width) {
        tileSampleMinHeight = height;
        tileSampleMinWidth = width;
        int down = config.spatialCompressionRatio();
        tileLatentMinHeight = (int) ((double) height / down);
        tileLatentMinWidth = (int) ((double) width / down);
    }

    /**
     * diffusers' {@code enable_tiling}: arguments that are null (or 0) keep their current value
     * (defaults: half of sample_height × sample_width, overlap factors 1/6 and 1/5).
     */
    public void enableTiling(Integer tileSampleMinHeight, Integer tileSampleMinWidth,
            Double overlapFactorHeight, Double overlapFactorWidth) {
        useTiling = true;
        setTileSampleMin(orKeep(tileSampleMinHeight, this.tileSampleMinHeight),
                orKeep(tileSampleMinWidth, this.tileSampleMinWidth));
        if (overlapFactorHeight != null && overlapFactorHeight != 0) {
            tileOverlapFactorHeight = overlapFactorHeight;
        }
        if (overlapFactorWidth != null && overlapFactorWidth != 0) {
            tileOverlapFactorWidth = overlapFactorWidth;
        }
    }

    private static int orKeep(Integer v, int current) {
        return v == null || v == 0 ? current : v;
    }

    public void disableTiling() {
        useTiling = false;
    }

    public boolean tilingEnabled() {
        return useTiling;
    }

    /** The posterior's parameters (B, 2·latent_channels, T', H/8, W/8): mean, then log-variance. */
    public NDArray encode(NDArray x) {
        checkRank(x, config.inChannels(), "video");
        Shape s = x.getShape();
        if (useTiling && (s.get(4) > tileSampleMinWidth || s.get(3) > tileSampleMinHeight)) {
            return tiledEncode(x);
        }
        return encodeFrames(x);
    }

    /** The latent mean (the posterior's mode), before the pipeline's scaling. */
    @Override
    public NDArray encodeMean(NDArray x) {
        NDArray moments = encode(x);
        NDArray mean = VaeOps.slice(moments, 1, 0, config.latentChannels()).duplicate();
        moments.close();
        return mean;
    }

    /** Decodes (B, latent_channels, T', h, w) latents to a video (B, C, T, 8h, 8w), unclamped. */
    @Override
    public NDArray decode(NDArray z) {
        checkRank(z, config.latentChannels(), "latent");
        Shape s = z.getShape();
        if (useTiling && (s.get(4) > tileLatentMinWidth || s.get(3) > tileLatentMinHeight)) {
            return tiledDecode(z);
        }
        return decodeFrames(z);
    }

    /**
     * What {@code CogVideoXPipeline.decode_latents} does: (B, T, C, h, w) pipeline latents are
     * permuted to (B, C, T, h, w), multiplied by {@code 1 / scaling_factor} and decoded.
     */
    public NDArray decodePipelineLatents(NDArray latents) {
        try (NDScope scope = new NDScope()) {
            NDArray out = decode(unscaleLatents(latents.transpose(0, 2, 1, 3, 4)));
            NDScope.unregister(out);
            return out;
        }
    }

    /** {@code 1 / scaling_factor · z} (the factor rounded to float32 as torch does with a Python scalar). */
    public NDArray unscaleLatents(NDArray z) {
        return Scalars.mul(z, (float) (1.0 / config.scalingFactor()));
    }

    /**
     * VAE latents → diffusion latents as the image-to-video pipelines scale encoded frames:
     * {@code scaling_factor · z}, or {@code 1 / scaling_factor · z} with {@code invert_scale_latents}.
     */
    public NDArray scaleLatents(NDArray z) {
        double f = config.invertScaleLatents() ? 1.0 / config.scalingFactor() : config.scalingFactor();
        return Scalars.mul(z, (float) f);
    }

    /** diffusers' frame batches: {@code max(T / n, 1)} batches, the first one also takes {@code T mod n}. */
    public static List<long[]> frameBatches(long frames, int batch) {
        long num = Math.max(frames / batch, 1);
        long rem = frames % batch;
        List<long[]> out = new ArrayList<>();
        for (long i = 0; i < num; i++) {
            long start = batch * i + (i == 0 ? 0 : rem);
            long end = Math.min(frames, batch * (i + 1) + rem);
            out.add(new long[] {start, end});
        }
        return out;
    }

    private NDArray encodeFrames(NDArray x) {
        NDList parts = new NDList();
        try (CogVideoXConvCache cache = new CogVideoXConvCache()) {
            for (long[] b : frameBatches(x.getShape().get(2), SAMPLE_FRAMES_BATCH)) {
                try (NDScope scope = new NDScope()) {
                    NDArray out = encoder.forward(VaeOps.slice(x, 2, b[0], b[1]), cache);
                    NDScope.unregister(out);
                    parts.add(out);
                }
            }
        }
        return concatAndClose(parts, 2);
    }

    private NDArray decodeFrames(NDArray z) {
        NDList parts = new NDList();
        try (CogVideoXConvCache cache = new CogVideoXConvCache()) {
            for (long[] b : frameBatches(z.getShape().get(2), LATENT_FRAMES_BATCH)) {
                try (NDScope scope = new NDScope()) {
                    NDArray out = decoder.forward(VaeOps.slice(z, 2, b[0], b[1]), cache);
                    NDScope.unregister(out);
                    parts.add(out);
                }
            }
        }
        return concatAndClose(parts, 2);
    }

    private static NDArray concatAndClose(NDList parts, int axis) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        NDArray out = NDArrays.concat(parts, axis);
        NDScope.unregister(out);
        parts.close();
        return out;
    }

    /** diffusers' {@code tiled_encode}: tiles of tile_sample_min pixels, blended in latent space. */
    NDArray tiledEncode(NDArray x) {
        return tiledEncode(x, this::encodeFrames);
    }

    /** {@link #tiledEncode(NDArray)} with another per-tile function (tests check the tile geometry with it). */
    NDArray tiledEncode(NDArray x, UnaryOperator<NDArray> encodeTile) {
        int overlapHeight = (int) (tileSampleMinHeight * (1 - tileOverlapFactorHeight));
        int overlapWidth = (int) (tileSampleMinWidth * (1 - tileOverlapFactorWidth));
        int blendHeight = (int) (tileLatentMinHeight * tileOverlapFactorHeight);
        int blendWidth = (int) (tileLatentMinWidth * tileOverlapFactorWidth);
        return VaeTiling.run(x, overlapHeight, overlapWidth, tileSampleMinHeight, tileSampleMinWidth,
                blendHeight, blendWidth, tileLatentMinHeight - blendHeight, tileLatentMinWidth - blendWidth, encodeTile);
    }

    /** diffusers' {@code tiled_decode}: tiles of tile_latent_min latents, blended in pixel space. */
    NDArray tiledDecode(NDArray z) {
        return tiledDecode(z, this::decodeFrames);
    }

    /** {@link #tiledDecode(NDArray)} with another per-tile function (tests check the tile geometry with it). */
    NDArray tiledDecode(NDArray z, UnaryOperator<NDArray> decodeTile) {
        int overlapHeight = (int) (tileLatentMinHeight * (1 - tileOverlapFactorHeight));
        int overlapWidth = (int) (tileLatentMinWidth * (1 - tileOverlapFactorWidth));
        int blendHeight = (int) (tileSampleMinHeight * tileOverlapFactorHeight);
        int blendWidth = (int) (tileSampleMinWidth * tileOverlapFactorWidth);
        return VaeTiling.run(z, overlapHeight, overlapWidth, tileLatentMinHeight, tileLatentMinWidth,
                blendHeight, blendWidth, tileSampleMinHeight - blendHeight, tileSampleMinWidth - blendWidth, decodeTile);
    }

    private static void checkRank(NDArray x, int channels, String what) {
        Shape s = x.getShape();
        if (s.dimension() != 5 || s.get(1) != channels) {
            throw new IllegalArgumentException("AutoencoderKLCogVideoX: " + what + " must be (B, " + channels
                    + ", T, H, W), got " + s);
        }
    }
}
