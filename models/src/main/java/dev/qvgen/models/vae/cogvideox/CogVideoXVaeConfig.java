package dev.qvgen.models.vae.cogvideox;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;
import dev.qvgen.models.vae.ConfigArrays;

import java.nio.file.Path;

/** The keys of a diffusers {@code AutoencoderKLCogVideoX} {@code config.json}. */
public record CogVideoXVaeConfig(
        int inChannels,
        int outChannels,
        int[] blockOutChannels,
        int latentChannels,
        int layersPerBlock,
        float normEps,
        int normNumGroups,
        int temporalCompressionRatio,
        int sampleHeight,
        int sampleWidth,
        double scalingFactor,
        boolean invertScaleLatents) {

    /** {@code int(log2(temporal_compression_ratio))}: how many down/up blocks also halve/double time. */
    public int temporalCompressLevel() {
        return 31 - Integer.numberOfLeadingZeros(temporalCompressionRatio);
    }

    /** Spatial down-scaling of the encoder, {@code 2^(len(block_out_channels) - 1)}. */
    public int spatialCompressionRatio() {
        return 1 << (blockOutChannels.length - 1);
    }

    public static CogVideoXVaeConfig read(Path file) {
        ConfigReader r = ConfigReader.open(file);
        ConfigArrays a = new ConfigArrays(file, r);
        CogVideoXVaeConfig c = new CogVideoXVaeConfig(
                r.getInt("in_channels"),
                r.getInt("out_channels"),
                r.getIntArray("block_out_channels"),
                r.getInt("latent_channels"),
                r.getInt("layers_per_block"),
                (float) r.getDouble("norm_eps"),
                r.getInt("norm_num_groups"),
                r.getInt("temporal_compression_ratio"),
                r.getInt("sample_height"),
                r.getInt("sample_width"),
                r.getDouble("scaling_factor"),
                r.getBoolean("invert_scale_latents"));
        for (String t : a.strings("down_block_types")) {
            if (!t.equals("CogVideoXDownBlock3D")) {
                throw new CheckpointException(file + ": down block type '" + t + "' is not supported");
            }
        }
        for (String t : a.strings("up_block_types")) {
            if (!t.equals("CogVideoXUpBlock3D")) {
                throw new CheckpointException(file + ": up block type '" + t + "' is not supported");
            }
        }
        String act = r.getString("act_fn");
        if (!"silu".equals(act) && !"swish".equals(act)) {
            throw new CheckpointException(file + ": config key 'act_fn' = " + act + " is not supported (only silu)");
        }
        // This port always runs in float32, which is what force_upcast asks for.
        r.getBoolean("force_upcast");
        r.requireNull("shift_factor");
        r.requireNull("latents_mean");
        r.requireNull("latents_std");
        if (r.getBoolean("use_quant_conv") || r.getBoolean("use_post_quant_conv")) {
            throw new CheckpointException(file + ": use_quant_conv / use_post_quant_conv = true is not supported"
                    + " (no published CogVideoX VAE uses them)");
        }
        r.rejectUnknownKeys();
        int n = c.blockOutChannels.length;
        if (a.strings("down_block_types").length != n || a.strings("up_block_types").length != n) {
            throw new CheckpointException(file + ": down/up block types need one entry per block_out_channels");
        }
        if (Integer.bitCount(c.temporalCompressionRatio) != 1) {
            throw new CheckpointException(file + ": config key 'temporal_compression_ratio' must be a power of 2");
        }
        return c;
    }
}
