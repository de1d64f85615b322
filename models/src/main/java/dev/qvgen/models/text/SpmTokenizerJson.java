package dev.qvgen.models.text;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds, from a T5/UMT5 {@code spiece.model}, the Hugging Face {@code tokenizer.json} that transformers'
 * slow-to-fast conversion ({@code T5Converter}, an {@code SpmConverter}) produces, so that checkpoints
 * shipping only {@code spiece.model} tokenize exactly as diffusers does with the fast tokenizer:
 * <ul>
 *   <li>model: Unigram over the pieces with their scores, then {@code <extra_id_N>} for N = extra_ids-1
 *       down to 0 (score 0); unk_id from the trainer spec; no byte fallback (T5's converter does not
 *       handle it);</li>
 *   <li>normalizer: Precompiled(the model's charsmap), Strip(right), Replace(" {2,}" by "▁");</li>
 *   <li>pre-tokenizer and decoder: Metaspace("▁"), prepend scheme "always" ("first" when the config
 *       says legacy=false, "never" when add_prefix_space=false);</li>
 *   <li>post-processor: {@code $A </s>} (pairs {@code $A </s> $B </s>});</li>
 *   <li>added tokens: CONTROL pieces (special) and USER_DEFINED pieces (not special), then the special
 *       tokens of the tokenizer config (unk, eos, pad, additional/extra ids), none normalized.</li>
 * </ul>
 */
public final class SpmTokenizerJson {

    private static final String SPIECE_UNDERLINE = "\u2581";

    /** The tokenizer_config.json / special_tokens_map.json settings the T5 conversion depends on. */
    public record T5Options(int extraIds, boolean legacy, boolean addPrefixSpace, String eosToken,
            String unkToken, String padToken, List<String> additionalSpecialTokens) {

        /** transformers' T5Tokenizer defaults. */
        public static T5Options defaults() {
            return new T5Options(100, true, true, "</s>", "<unk>", "<pad>", List.of());
        }

        /**
         * Reads {@code tokenizer_config.json} and {@code special_tokens_map.json} of a tokenizer directory
         * where present (the published CogVideoX ones set extra_ids = 100 and list the extra ids);
         * absent keys keep T5Tokenizer's defaults.
         */
        public static T5Options read(Path dir) {
            T5Options d = defaults();
            int extraIds = d.extraIds;
            boolean legacy = d.legacy;
            boolean addPrefixSpace = d.addPrefixSpace;
            String eos = d.eosToken;
            String unk = d.unkToken;
            String pad = d.padToken;
            Set<String> additional = new LinkedHashSet<>();
            for (String name : List.of("special_tokens_map.json", "tokenizer_config.json")) {
                Path f = dir.resolve(name);
                if (!Files.isRegularFile(f)) {
                    continue;
                }
                JsonObject o = readObject(f);
                try {
                    if (o.has("extra_ids") && !o.get("extra_ids").isJsonNull()) {
                        extraIds = o.get("extra_ids").getAsInt();
                        if (extraIds < 0) {
                            throw new CheckpointException(f + ": extra_ids must be >= 0, got " + extraIds);
                        }
                    }
                    if (o.has("legacy") && !o.get("legacy").isJsonNull()) {
                        legacy = o.get("legacy").getAsBoolean();
                    }
                    if (o.has("add_prefix_space") && !o.get("add_prefix_space").isJsonNull()) {
                        addPrefixSpace = o.get("add_prefix_space").getAsBoolean();
                    }
                    eos = token(o, "eos_token", eos, f);
                    unk = token(o, "unk_token", unk, f);
                    pad = token(o, "pad_token", pad, f);
                    for (String key : List.of("additional_special_tokens", "extra_special_tokens")) {
                        if (o.has(key) && o.get(key).isJsonArray()) {
                            for (JsonElement e : o.getAsJsonArray(key)) {
                                additional.add(tokenContent(e, f, key));
                            }
                        }
                    }
                } catch (IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
                    throw new CheckpointException(f + ": bad tokenizer setting (" + e.getMessage() + ")", e);
                }
            }
            return new T5Options(extraIds, legacy, addPrefixSpace, eos, unk, pad, List.copyOf(additional));
        }

        private static String token(JsonObject o, String key, String fallback, Path f) {
            if (!o.has(key) || o.get(key).isJsonNull()) {
                return fallback;
            }
            return tokenContent(o.get(key), f, key);
        }

        /** A token is written either as a string or as a serialized AddedToken object with "content". */
        private static String tokenContent(JsonElement e, Path f, String key) {
            if (e.isJsonPrimitive()) {
                return e.getAsString();
            }
            if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
                return e.getAsJsonObject().get("content").getAsString();
            }
            throw new CheckpointException(f + ": " + key + " holds " + e + ", expected a token string");
        }

        private static JsonObject readObject(Path f) {
            try {
                JsonElement e = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8));
                if (!e.isJsonObject()) {
                    throw new CheckpointException(f + ": expected a JSON object");
                }
                return e.getAsJsonObject();
            } catch (IOException e) {
                throw new CheckpointException(f + ": cannot read (" + e.getMessage() + ")", e);
            } catch (JsonParseException e) {
                throw new CheckpointException(f + ": not valid JSON (" + e.getMessage() + ")", e);
            }
        }
    }

    private SpmTokenizerJson() {
    }

    /**
     * The tokenizer.json text for a T5/UMT5 SentencePiece model.
     *
     * @param source the spiece.model path, for error messages
     */
    public static String t5(SentencePieceModel m, T5Options opt, Path source) {
        if (m.modelType() != SentencePieceModel.UNIGRAM) {
            throw new CheckpointException(source + ": SentencePiece model type " + m.modelType()
                    + " is not Unigram (1); only T5/UMT5 Unigram models are supported");
        }
        List<SentencePieceModel.Piece> pieces = m.pieces();
        JsonArray vocab = new JsonArray();
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (SentencePieceModel.Piece p : pieces) {
            vocab.add(entry(p.piece(), p.score()));
            ids.putIfAbsent(p.piece(), ids.size());
        }
        for (int i = opt.extraIds() - 1; i >= 0; i--) {
            String t = "<extra_id_" + i + ">";
            vocab.add(entry(t, 0.0));
            ids.putIfAbsent(t, vocab.size() - 1);
        }
        int vocabSize = vocab.size();

        // Added tokens by id: the model's CONTROL/USER_DEFINED pieces, then the config's special tokens
        // (an unknown one gets the next free id, as tokenizers' add_special_tokens does).
        TreeMap<Integer, JsonObject> added = new TreeMap<>();
        for (int i = 0; i < pieces.size(); i++) {
            int type = pieces.get(i).type();
            if (type == SentencePieceModel.CONTROL || type == SentencePieceModel.USER_DEFINED) {
                added.put(i, addedToken(i, pieces.get(i).piece(), type == SentencePieceModel.CONTROL));
            }
        }
        List<String> special = new ArrayList<>(List.of(opt.unkToken(), opt.eosToken(), opt.padToken()));
        for (int i = 0; i < opt.extraIds(); i++) {
            special.add("<extra_id_" + i + ">");
        }
        special.addAll(opt.additionalSpecialTokens());
        int next = vocabSize;
        Set<String> seen = new LinkedHashSet<>();
        for (String t : special) {
            if (!seen.add(t)) {
                continue;
            }
            Integer id = ids.get(t);
            if (id == null) {
                id = next++;
                ids.put(t, id);
            }
            added.put(id, addedToken(id, t, true));
        }
        Integer eosId = ids.get(opt.eosToken());
        if (eosId == null || eosId >= vocabSize) {
            throw new CheckpointException(source + ": eos token " + opt.eosToken() + " is not a piece of the model");
        }

        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", null);
        root.add("padding", null);
        JsonArray addedTokens = new JsonArray();
        added.values().forEach(addedTokens::add);
        root.add("added_tokens", addedTokens);
        root.add("normalizer", normalizer(m.precompiledCharsmap()));
        String prepend = !opt.addPrefixSpace() ? "never" : opt.legacy() ? "always" : "first";
        root.add("pre_tokenizer", metaspace(prepend));
        root.add("post_processor", eosTemplate(opt.eosToken(), eosId));
        root.add("decoder", metaspace(prepend));
        JsonObject model = new JsonObject();
        model.addProperty("type", "Unigram");
        model.addProperty("unk_id", m.unkId());
        model.add("vocab", vocab);
        model.addProperty("byte_fallback", false);
        root.add("model", model);
        return root.toString();
    }

    private static JsonArray entry(String piece, double score) {
        JsonArray a = new JsonArray();
        a.add(piece);
        // A float32 widened to double is exact, and Rust parses the shortest decimal back to it.
        a.add(score);
        return a;
    }

    private static JsonObject addedToken(int id, String content, boolean special) {
        JsonObject t = new JsonObject();
        t.addProperty("id", id);
        t.addProperty("content", content);
        t.addProperty("single_word", false);
        t.addProperty("lstrip", false);
        t.addProperty("rstrip", false);
        t.addProperty("normalized", false);
        t.addProperty("special", special);
        return t;
    }

    private static JsonObject normalizer(byte[] charsmap) {
        JsonArray seq = new JsonArray();
        if (charsmap.length > 0) {
            JsonObject pc = new JsonObject();
            pc.addProperty("type", "Precompiled");
            pc.addProperty("precompiled_charsmap", Base64.getEncoder().encodeToString(charsmap));
            seq.add(pc);
        }
        JsonObject strip = new JsonObject();
        strip.addProperty("type", "Strip");
        strip.addProperty("strip_left", false);
        strip.addProperty("strip_right", true);
        seq.add(strip);
        JsonObject replace = new JsonObject();
        replace.addProperty("type", "Replace");
        JsonObject pattern = new JsonObject();
        pattern.addProperty("Regex", " {2,}");
        replace.add("pattern", pattern);
        replace.addProperty("content", SPIECE_UNDERLINE);
        seq.add(replace);
        JsonObject n = new JsonObject();
        n.addProperty("type", "Sequence");
        n.add("normalizers", seq);
        return n;
    }

    private static JsonObject metaspace(String prependScheme) {
        JsonObject o = new JsonObject();
        o.addProperty("type", "Metaspace");
        o.addProperty("replacement", SPIECE_UNDERLINE);
        o.addProperty("prepend_scheme", prependScheme);
        o.addProperty("split", true);
        return o;
    }

    private static JsonObject eosTemplate(String eos, int eosId) {
        JsonObject o = new JsonObject();
        o.addProperty("type", "TemplateProcessing");
        o.add("single", template(eos, false));
        o.add("pair", template(eos, true));
        JsonObject st = new JsonObject();
        JsonObject e = new JsonObject();
        e.addProperty("id", eos);
        JsonArray idArr = new JsonArray();
        idArr.add(eosId);
        e.add("ids", idArr);
        JsonArray tokArr = new JsonArray();
        tokArr.add(eos);
        e.add("tokens", tokArr);
        st.add(eos, e);
        o.add("special_tokens", st);
        return o;
    }

    private static JsonArray template(String eos, boolean pair) {
        JsonArray a = new JsonArray();
        a.add(sequence("A"));
        a.add(specialToken(eos));
        if (pair) {
            a.add(sequence("B"));
            a.add(specialToken(eos));
        }
        return a;
    }

    private static JsonObject sequence(String id) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", 0);
        JsonObject o = new JsonObject();
        o.add("Sequence", inner);
        return o;
    }

    private static JsonObject specialToken(String id) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", 0);
        JsonObject o = new JsonObject();
        o.add("SpecialToken", inner);
        return o;
    }
}
