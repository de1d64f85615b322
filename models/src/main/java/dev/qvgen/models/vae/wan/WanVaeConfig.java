package dev.qvgen.models.vae.wan;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;
import dev.qvgen.models.vae.ConfigArrays;

import java.nio.file.Path;

/** The keys of a diffusers {@code AutoencoderKLWan} {@code config.json} (Wan2.1 layout). */
public record WanVaeConfig(
        int baseDim,
        int decoderBaseDim,
        int zDim,
        int[] dimMult,
        int numResBlocks,
        double[] attnScales,
        boolean[] temperalDownsample,
        double[] latentsMean,
        double[] latentsStd,
        int inChannels,
        int outChannels,
        int scaleFactorTemporal,
        int scaleFactorSpatial) {

    public static WanVaeConfig read(Path file) {
        ConfigReader r = ConfigReader.open(file);
        ConfigArrays a = new ConfigArrays(file, r);
        int base = r.getInt("base_dim");
        Integer dec = a.nullableInt("decoder_base_dim");
        WanVaeConfig c = new WanVaeConfig(
                base,
                dec == null ? base : dec,
                r.getInt("z_dim"),
                r.getIntArray("dim_mult"),
                r.getInt("num_res_blocks"),
                a.doubles("attn_scales", false),
                a.booleans("temperal_downsample"),
                a.doubles("latents_mean", false),
                a.doubles("latents_std", false),
                r.getInt("in_channels"),
                r.getInt("out_channels"),
                r.getInt("scale_factor_temporal"),
                r.getInt("scale_factor_spatial"));
        // Dropout only matters in training; this port is inference only.
        r.getDouble("dropout");
        // Wan2.2's residual blocks and patchified input are other architectures.
        if (r.getBoolean("is_residual")) {
            throw new CheckpointException(file + ": config key 'is_residual' = true (Wan2.2 VAE) is not supported");
        }
        r.requireNull("patch_size");
        r.rejectUnknownKeys();
        if (c.temperalDownsample.length != c.dimMult.length - 1) {
            throw new CheckpointException(file + ": config key 'temperal_downsample' needs "
                    + (c.dimMult.length - 1) + " entries, has " + c.temperalDownsample.length);
        }
        if (c.latentsMean.length != c.zDim || c.latentsStd.length != c.zDim) {
            throw new CheckpointException(file + ": config keys 'latents_mean'/'latents_std' need z_dim = "
                    + c.zDim + " entries");
        }
        return c;
    }
}
