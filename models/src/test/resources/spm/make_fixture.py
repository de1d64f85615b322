"""Builds the spiece.model-only tokenizer fixture for SentencePieceTokenizerTest.

Run (needs sentencepiece, transformers and tokenizers):
    python3 make_fixture.py corpus.txt OUT_DIR

Writes into OUT_DIR:
  tokenizer/spiece.model             a tiny T5-layout Unigram model (pad=0, eos=1, unk=2, no bos),
                                     trained on corpus.txt (the VBench prompts)
  tokenizer/tokenizer_config.json    as published CogVideoX checkpoints have it (T5Tokenizer, 100 extra ids)
  tokenizer/special_tokens_map.json
  expected_ids.json                  per prompt: the reference ids of the slow SentencePiece path and of
                                     transformers' converted fast tokenizer (max_length 32, </s> appended,
                                     truncated, padded to max_length), and whether the two agree
  converted_*.json                   the tokenizer.json that transformers builds from spiece.model (for
                                     inspection only; never committed)

The slow reference is SentencePiece itself, used the way transformers' slow T5Tokenizer (legacy=True) used it:
ids = sp.encode(text); truncated to max_length-1; </s> appended; padded with <pad> (id 0) to max_length.
transformers >= 5 no longer ships that slow class, so it is rebuilt here from its definition.
"""

import json
import os
import sys
import traceback

import sentencepiece as spm

MAX_LENGTH = 32
EXTRA_IDS = 100

LONG = (
    "A tranquil tableau of at the edge of the Arabian Desert, the ancient city of Petra beckoned with its "
    "enigmatic rock-carved facades, while a camel caravan slowly crossed the golden dunes under a violet sky"
)

PROMPTS = [
    "a red car drives along a coastal road at sunset",
    "A panda playing guitar in Times Square.",
    "  leading and trailing spaces   ",
    "multiple    internal     spaces",
    "tabs\tand\nnewlines\r\nmixed",
    "",
    "   ",
    "a",
    "café naïve façade — “quoted” ‘text’",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "ﬁne ligatures ﬂow ½ ™ №",
    "中文提示词 一只猫在草地上",
    "emoji 🐱🚀 rocket cat",
    "numbers 12345 and 3.14159, 2024-01-01",
    "punctuation!!! ??? ... ,,, ;;; :::",
    "(brackets) [square] {curly} <angle> @#$%^&* ~`|\\",
    "under_score and a literal ▁ metaspace▁char",
    "non-breaking\u00a0space, zero\u200bwidth and ideographic\u3000space",
    "Ångström ÉCOLE straße ǅ combining e\u0301",
    LONG,
    LONG + " " + LONG,
    "In a still frame, a stop sign",
    "<extra_id_0> sentinel and </s> literal <pad> <unk>",
]


def slow_ids(sp, text):
    ids = list(sp.encode(text))
    ids = ids[: MAX_LENGTH - 1] + [sp.eos_id()]
    mask = [1] * len(ids) + [0] * (MAX_LENGTH - len(ids))
    ids = ids + [sp.pad_id()] * (MAX_LENGTH - len(ids))
    return ids, mask


def has_special_literal(text):
    return any(t in text for t in ("<extra_id_", "</s>", "<pad>", "<unk>"))


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    tokdir = os.path.join(out, "tokenizer")
    os.makedirs(tokdir, exist_ok=True)
    log = {"notes": []}

    spm.SentencePieceTrainer.train(
        input=corpus,
        model_prefix=os.path.join(tokdir, "spiece"),
        vocab_size=300,
        model_type="unigram",
        character_coverage=1.0,
        normalization_rule_name="nmt_nfkc",
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        num_threads=1,
        input_sentence_size=0,
        shuffle_input_sentence=False,
    )
    os.remove(os.path.join(tokdir, "spiece.vocab"))
    model_file = os.path.join(tokdir, "spiece.model")
    sp = spm.SentencePieceProcessor(model_file=model_file)

    extra = [f"<extra_id_{i}>" for i in range(EXTRA_IDS)]
    with open(os.path.join(tokdir, "tokenizer_config.json"), "w") as f:
        json.dump({
            "additional_special_tokens": extra,
            "clean_up_tokenization_spaces": True,
            "eos_token": "</s>",
            "extra_ids": EXTRA_IDS,
            "legacy": True,
            "model_max_length": 226,
            "pad_token": "<pad>",
            "sp_model_kwargs": {},
            "tokenizer_class": "T5Tokenizer",
            "unk_token": "<unk>",
        }, f, indent=2)
    with open(os.path.join(tokdir, "special_tokens_map.json"), "w") as f:
        json.dump({"additional_special_tokens": extra, "eos_token": "</s>", "pad_token": "<pad>",
                   "unk_token": "<unk>"}, f, indent=2)

    import tokenizers
    import transformers
    log["versions"] = {"sentencepiece": spm.__version__, "transformers": transformers.__version__,
                       "tokenizers": tokenizers.__version__}

    # Fast tokenizer 1: transformers' own loading of a spiece.model-only directory.
    fast = None
    try:
        from transformers import AutoTokenizer
        fast = AutoTokenizer.from_pretrained(tokdir)
        log["notes"].append(f"AutoTokenizer -> {type(fast).__name__}")
        bt = getattr(fast, "backend_tokenizer", None)
        if bt is not None:
            with open(os.path.join(out, "converted_auto.json"), "w") as f:
                f.write(bt.to_str(pretty=True))
    except Exception:
        log["notes"].append("AutoTokenizer failed: " + traceback.format_exc())

    # Fast tokenizer 2: convert_slow_tokenizer.T5Converter applied to the spiece.model directly.
    conv = None
    try:
        from transformers.convert_slow_tokenizer import T5Converter

        class SlowT5:  # what T5Converter reads of a slow T5Tokenizer
            vocab_file = model_file
            _extra_ids = EXTRA_IDS
            legacy = True
            add_prefix_space = True

            def convert_tokens_to_ids(self, t):
                return sp.piece_to_id(t)

        conv = T5Converter(SlowT5()).converted()
        conv.add_special_tokens([tokenizers.AddedToken(t, normalized=False, special=True)
                                 for t in ["<unk>", "</s>", "<pad>"] + extra])
        with open(os.path.join(out, "converted_t5converter.json"), "w") as f:
            f.write(conv.to_str(pretty=True))
        conv.enable_truncation(MAX_LENGTH)
        conv.enable_padding(length=MAX_LENGTH, pad_id=0, pad_token="<pad>")
    except Exception:
        log["notes"].append("T5Converter failed: " + traceback.format_exc())

    cases = []
    n_agree = 0
    for p in PROMPTS:
        c = {"prompt": p, "pieces": sp.encode(p, out_type=str)}
        ids, mask = slow_ids(sp, p)
        c["slow_input_ids"], c["slow_attention_mask"] = ids, mask
        if fast is not None:
            e = fast(p, padding="max_length", truncation=True, max_length=MAX_LENGTH)
            c["fast_input_ids"], c["fast_attention_mask"] = list(e["input_ids"]), list(e["attention_mask"])
        if conv is not None:
            e = conv.encode(p)
            c["conv_input_ids"], c["conv_attention_mask"] = list(e.ids), list(e.attention_mask)
        fast_ids = c.get("fast_input_ids", c.get("conv_input_ids"))
        c["special_literal"] = has_special_literal(p)
        c["slow_fast_agree"] = fast_ids == ids
        if "conv_input_ids" in c and "fast_input_ids" in c:
            c["conv_fast_agree"] = c["conv_input_ids"] == c["fast_input_ids"]
        n_agree += c["slow_fast_agree"]
        cases.append(c)
        print(("AGREE " if c["slow_fast_agree"] else "DIFFER") + " " + json.dumps(p, ensure_ascii=False))
        if not c["slow_fast_agree"]:
            print("  slow", ids)
            print("  fast", fast_ids)

    result = {
        "max_length": MAX_LENGTH,
        "piece_count": sp.get_piece_size(),
        "extra_ids": EXTRA_IDS,
        "versions": log["versions"],
        "notes": log["notes"],
        "cases": cases,
    }
    with open(os.path.join(out, "expected_ids.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    print(f"{n_agree}/{len(cases)} prompts: slow == fast")
    for n in log["notes"]:
        print("NOTE", n)


if __name__ == "__main__":
    main()
