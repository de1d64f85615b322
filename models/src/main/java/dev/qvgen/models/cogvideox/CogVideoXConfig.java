package dev.qvgen.models.cogvideox;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;

import java.nio.file.Path;

/**
 * The keys of a diffusers {@code CogVideoXTransformer3DModel} {@code config.json}.
 *
 * <p>{@code patchSizeT} and {@code ofsEmbedDim} are 0 where the config has null (CogVideoX 1.0,
 * and every text-to-video model respectively).
 */
public record CogVideoXConfig(
        int numAttentionHeads,
        int attentionHeadDim,
        int inChannels,
        int outChannels,
        boolean flipSinToCos,
        int freqShift,
        int timeEmbedDim,
        int ofsEmbedDim,
        int textEmbedDim,
        int numLayers,
        boolean attentionBias,
        int sampleWidth,
        int sampleHeight,
        int sampleFrames,
        int patchSize,
        int patchSizeT,
        int temporalCompressionRatio,
        int maxTextSeqLength,
        boolean normElementwiseAffine,
        double normEps,
        double spatialInterpolationScale,
        double temporalInterpolationScale,
        boolean useRotaryPositionalEmbeddings,
        boolean patchBias) {

    public int innerDim() {
        return numAttentionHeads * attentionHeadDim;
    }

    /** CogVideoX 1.5 patches time too (its patch embedding is a linear layer over t-patches). */
    public boolean hasTemporalPatch() {
        return patchSizeT > 0;
    }

    public static CogVideoXConfig read(Path file) {
        return parse(ConfigReader.open(file));
    }

    public static CogVideoXConfig fromJson(String source, String json) {
        return parse(new ConfigReader(source, JsonParser.parseString(json).getAsJsonObject()));
    }

    private static CogVideoXConfig parse(ConfigReader r) {
        String src = r.source();
        // Keys that diffusers added after the first CogVideoX checkpoints were published (the 2B
        // and 5B configs predate them); an absent key means the value diffusers fills in, which
        // is the behaviour those checkpoints were trained with.
        int patchSizeT = optionalNullableInt(r, "patch_size_t");
        int ofsEmbedDim = optionalNullableInt(r, "ofs_embed_dim");
        boolean patchBias = !r.has("patch_bias") || r.getBoolean("patch_bias");
        r.optional("patch_bias");
        boolean learned = r.has("use_learned_positional_embeddings")
                && r.getBoolean("use_learned_positional_embeddings");
        r.optional("use_learned_positional_embeddings");

        CogVideoXConfig c = new CogVideoXConfig(
                r.getInt("num_attention_heads"),
                r.getInt("attention_head_dim"),
                r.getInt("in_channels"),
                r.getInt("out_channels"),
                r.getBoolean("flip_sin_to_cos"),
                r.getInt("freq_shift"),
                r.getInt("time_embed_dim"),
                ofsEmbedDim,
                r.getInt("text_embed_dim"),
                r.getInt("num_layers"),
                r.getBoolean("attention_bias"),
                r.getInt("sample_width"),
                r.getInt("sample_height"),
                r.getInt("sample_frames"),
                r.getInt("patch_size"),
                patchSizeT,
                r.getInt("temporal_compression_ratio"),
                r.getInt("max_text_seq_length"),
                r.getBoolean("norm_elementwise_affine"),
                r.getDouble("norm_eps"),
                r.getDouble("spatial_interpolation_scale"),
                r.getDouble("temporal_interpolation_scale"),
                r.getBoolean("use_rotary_positional_embeddings"),
                patchBias);
        // Dropout is inactive at inference; a non-zero value is still a different model's config.
        double dropout = r.getDouble("dropout");
        String act = r.getString("activation_fn");
        String tAct = r.getString("timestep_activation_fn");
        r.rejectUnknownKeys();
        if (dropout != 0.0) {
            throw new CheckpointException(src + ": config key 'dropout' = " + dropout + " is not supported (only 0.0)");
        }
        if (!"gelu-approximate".equals(act)) {
            throw new CheckpointException(src + ": config key 'activation_fn' = " + act
                    + " is not supported (only gelu-approximate)");
        }
        if (!"silu".equals(tAct)) {
            throw new CheckpointException(src + ": config key 'timestep_activation_fn' = " + tAct
                    + " is not supported (only silu)");
        }
        if (learned) {
            // Only CogVideoX-5B-I2V has learned positions (a persistent pos_embedding buffer).
            throw new CheckpointException(src + ": config key 'use_learned_positional_embeddings' = true"
                    + " is not supported (image-to-video checkpoints are not ported)");
        }
        if (c.hasTemporalPatch() && !c.useRotaryPositionalEmbeddings) {
            // The sin-cos table counts latent frames, not temporal patches; no checkpoint combines them.
            throw new CheckpointException(src + ": config key 'patch_size_t' needs use_rotary_positional_embeddings"
                    + " (sin-cos positions with temporal patches are not a published combination)");
        }
        if (c.ofsEmbedDim > 0 && c.ofsEmbedDim != c.timeEmbedDim) {
            // The ofs embedding is added to the time embedding, so the widths must agree.
            throw new CheckpointException(src + ": ofs_embed_dim " + c.ofsEmbedDim + " must equal time_embed_dim "
                    + c.timeEmbedDim);
        }
        if (c.outChannels <= 0 || c.innerDim() <= 0 || c.patchSize <= 0) {
            throw new CheckpointException(src + ": out_channels, patch_size and the head sizes must be positive");
        }
        if (c.useRotaryPositionalEmbeddings && c.attentionHeadDim % 8 != 0) {
            throw new CheckpointException(src + ": attention_head_dim " + c.attentionHeadDim
                    + " must be divisible by 8 for the 3D rotary embedding");
        }
        if (!c.useRotaryPositionalEmbeddings && c.innerDim() % 16 != 0) {
            throw new CheckpointException(src + ": inner dim " + c.innerDim()
                    + " must be divisible by 16 for the 3D sin-cos embedding");
        }
        return c;
    }

    private static int optionalNullableInt(ConfigReader r, String key) {
        r.optional(key);
        if (!r.has(key)) {
            return 0;
        }
        String v = r.getString(key);
        if (v == null) {
            return 0;
        }
        int i = r.getInt(key);
        if (i <= 0) {
            throw new CheckpointException(r.source() + ": config key '" + key + "' must be null or positive, got " + i);
        }
        return i;
    }

    /** The same config with another depth and width, for tests and small benchmarks. */
    public CogVideoXConfig resized(int heads, int headDim, int layers, int timeEmbed, int textEmbed) {
        return new CogVideoXConfig(heads, headDim, inChannels, outChannels, flipSinToCos, freqShift, timeEmbed,
                ofsEmbedDim == 0 ? 0 : timeEmbed, textEmbed, layers, attentionBias, sampleWidth, sampleHeight,
                sampleFrames, patchSize, patchSizeT, temporalCompressionRatio, maxTextSeqLength,
                normElementwiseAffine, normEps, spatialInterpolationScale, temporalInterpolationScale,
                useRotaryPositionalEmbeddings, patchBias);
    }

    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("_class_name", "CogVideoXTransformer3DModel");
        o.addProperty("activation_fn", "gelu-approximate");
        o.addProperty("attention_bias", attentionBias);
        o.addProperty("attention_head_dim", attentionHeadDim);
        o.addProperty("dropout", 0.0);
        o.addProperty("flip_sin_to_cos", flipSinToCos);
        o.addProperty("freq_shift", freqShift);
        o.addProperty("in_channels", inChannels);
        o.addProperty("max_text_seq_length", maxTextSeqLength);
        o.addProperty("norm_elementwise_affine", normElementwiseAffine);
        o.addProperty("norm_eps", normEps);
        o.addProperty("num_attention_heads", numAttentionHeads);
        o.addProperty("num_layers", numLayers);
        if (ofsEmbedDim > 0) {
            o.addProperty("ofs_embed_dim", ofsEmbedDim);
        } else {
            o.add("ofs_embed_dim", JsonNull.INSTANCE);
        }
        o.addProperty("out_channels", outChannels);
        o.addProperty("patch_bias", patchBias);
        o.addProperty("patch_size", patchSize);
        if (patchSizeT > 0) {
            o.addProperty("patch_size_t", patchSizeT);
        } else {
            o.add("patch_size_t", JsonNull.INSTANCE);
        }
        o.addProperty("sample_frames", sampleFrames);
        o.addProperty("sample_height", sampleHeight);
        o.addProperty("sample_width", sampleWidth);
        o.addProperty("spatial_interpolation_scale", spatialInterpolationScale);
        o.addProperty("temporal_compression_ratio", temporalCompressionRatio);
        o.addProperty("temporal_interpolation_scale", temporalInterpolationScale);
        o.addProperty("text_embed_dim", textEmbedDim);
        o.addProperty("time_embed_dim", timeEmbedDim);
        o.addProperty("timestep_activation_fn", "silu");
        o.addProperty("use_learned_positional_embeddings", false);
        o.addProperty("use_rotary_positional_embeddings", useRotaryPositionalEmbeddings);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o);
    }
}
