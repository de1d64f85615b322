package dev.qvgen.models.text;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;

import java.nio.file.Path;

/**
 * The keys of a transformers {@code T5Config} / {@code UMT5Config} ({@code text_encoder/config.json})
 * that the encoder uses. Decoder, training and generation keys of the published configs are
 * accepted and ignored; they do not change the encoder's output.
 */
public record T5Config(
        String modelType,
        int vocabSize,
        int dModel,
        int dKv,
        int dFf,
        int numLayers,
        int numHeads,
        int relativeAttentionNumBuckets,
        int relativeAttentionMaxDistance,
        double layerNormEpsilon,
        boolean gatedAct,
        String denseActFn) {

    /** Keys of published T5/UMT5 configs that concern the decoder, training, or bookkeeping. */
    private static final String[] IGNORED = {
        "architectures", "classifier_dropout", "decoder_start_token_id", "dropout_rate", "dtype", "torch_dtype",
        "eos_token_id", "pad_token_id", "bos_token_id", "initializer_factor", "is_encoder_decoder",
        "num_decoder_layers", "tie_word_embeddings", "transformers_version", "use_cache", "output_past",
        "scale_decoder_outputs", "tokenizer_class", "gradient_checkpointing", "n_positions",
        "task_specific_params", "scalable_attention", "is_decoder", "model_max_length", "max_length",
    };

    public int innerDim() {
        return numHeads * dKv;
    }

    /** UMT5 gives every layer its own relative position bias; T5 only the first, shared by all. */
    public boolean biasInEveryLayer() {
        return modelType.equals("umt5");
    }

    public static T5Config read(Path file) {
        ConfigReader r = ConfigReader.open(file);
        String type = r.getString("model_type");
        if (!"t5".equals(type) && !"umt5".equals(type)) {
            throw new CheckpointException(file + ": config key 'model_type' = " + type
                    + " is not supported (t5 or umt5)");
        }
        String proj = r.getString("feed_forward_proj");
        boolean gated = proj.startsWith("gated-");
        String act = gated ? proj.substring("gated-".length()) : proj;
        // transformers maps "gated-gelu" to gelu_new (the tanh approximation), kept in dense_act_fn.
        String denseAct = r.has("dense_act_fn") ? r.getString("dense_act_fn") : act.equals("gelu") ? "gelu_new" : act;
        if (r.has("is_gated_act") && r.getBoolean("is_gated_act") != gated) {
            throw new CheckpointException(file + ": is_gated_act contradicts feed_forward_proj " + proj);
        }
        if (!denseAct.equals("gelu_new") && !denseAct.equals("relu")) {
            throw new CheckpointException(file + ": activation " + denseAct + " is not supported (gelu_new or relu)");
        }
        T5Config c = new T5Config(type,
                r.getInt("vocab_size"),
                r.getInt("d_model"),
                r.getInt("d_kv"),
                r.getInt("d_ff"),
                r.getInt("num_layers"),
                r.getInt("num_heads"),
                r.getInt("relative_attention_num_buckets"),
                r.has("relative_attention_max_distance") ? r.getInt("relative_attention_max_distance") : 128,
                r.getDouble("layer_norm_epsilon"),
                gated,
                denseAct);
        r.optional("relative_attention_max_distance");
        r.optional("is_gated_act");
        r.optional("dense_act_fn");
        if (r.has("is_decoder") && r.getBoolean("is_decoder")) {
            throw new CheckpointException(file + ": is_decoder = true, expected an encoder config");
        }
        for (String k : IGNORED) {
            r.optional(k);
        }
        r.rejectUnknownKeys();
        return c;
    }
}
