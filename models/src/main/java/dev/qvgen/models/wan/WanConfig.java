package dev.qvgen.models.wan;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;

import java.nio.file.Path;

/** The keys of a diffusers {@code WanTransformer3DModel} {@code config.json}. */
public record WanConfig(
        int[] patchSize,
        int numAttentionHeads,
        int attentionHeadDim,
        int inChannels,
        int outChannels,
        int textDim,
        int freqDim,
        int ffnDim,
        int numLayers,
        boolean crossAttnNorm,
        String qkNorm,
        double eps,
        int ropeMaxSeqLen) {

    public int innerDim() {
        return numAttentionHeads * attentionHeadDim;
    }

    public static WanConfig read(Path file) {
        ConfigReader r = ConfigReader.open(file);
        WanConfig c = new WanConfig(
                r.getIntArray("patch_size"),
                r.getInt("num_attention_heads"),
                r.getInt("attention_head_dim"),
                r.getInt("in_channels"),
                r.getInt("out_channels"),
                r.getInt("text_dim"),
                r.getInt("freq_dim"),
                r.getInt("ffn_dim"),
                r.getInt("num_layers"),
                r.getBoolean("cross_attn_norm"),
                r.getString("qk_norm"),
                r.getDouble("eps"),
                r.getInt("rope_max_seq_len"));
        // Image-to-video and Wan2.2 features; the text-to-video models set them to null.
        r.requireNull("image_dim");
        r.requireNull("added_kv_proj_dim");
        // Keys diffusers added after the first Wan release (2025-03, which the published Wan2.1
        // configs were written with) are optional with diffusers' default: pos_embed_seq_len
        // (2025-04, FLF2V) defaults to None. Every other key was in the first release's __init__.
        if (r.has("pos_embed_seq_len")) {
            r.requireNull("pos_embed_seq_len");
        }
        r.optional("pos_embed_seq_len");
        r.rejectUnknownKeys();
        if (c.patchSize.length != 3) {
            throw new CheckpointException(file + ": config key 'patch_size' must have 3 entries");
        }
        if (!"rms_norm_across_heads".equals(c.qkNorm)) {
            throw new CheckpointException(file + ": config key 'qk_norm' = " + c.qkNorm
                    + " is not supported (only rms_norm_across_heads)");
        }
        return c;
    }

    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("_class_name", "WanTransformer3DModel");
        JsonArray p = new JsonArray();
        for (int v : patchSize) {
            p.add(v);
        }
        o.add("patch_size", p);
        o.addProperty("num_attention_heads", numAttentionHeads);
        o.addProperty("attention_head_dim", attentionHeadDim);
        o.addProperty("in_channels", inChannels);
        o.addProperty("out_channels", outChannels);
        o.addProperty("text_dim", textDim);
        o.addProperty("freq_dim", freqDim);
        o.addProperty("ffn_dim", ffnDim);
        o.addProperty("num_layers", numLayers);
        o.addProperty("cross_attn_norm", crossAttnNorm);
        o.addProperty("qk_norm", qkNorm);
        o.addProperty("eps", eps);
        o.addProperty("rope_max_seq_len", ropeMaxSeqLen);
        o.add("image_dim", JsonNull.INSTANCE);
        o.add("added_kv_proj_dim", JsonNull.INSTANCE);
        o.add("pos_embed_seq_len", JsonNull.INSTANCE);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o);
    }
}
