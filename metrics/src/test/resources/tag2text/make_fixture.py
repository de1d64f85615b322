"""Makes the Tag2Text parity fixture for VBench's `scene` dimension.

Runs VBench's own Tag2Text code (vbench/third_party/tag2Text: swin_transformer.py, med.py,
tag2text.py; not part of this repository, put on PYTHONPATH as package `tag2Text`) on a toy-size
random instance: the published architecture with small widths (Swin embed 16, BERT hidden 64),
the published 3429 tag classes and 384 x 384 input, a toy WordPiece vocabulary instead of
bert-base-uncased's, and random weights spread wider than the initialisation so that logits,
tags and beams are well separated. Keeps inputs and outputs of every part as safetensors.

Captions: Tag2Text_Caption.generate calls Hugging Face's beam search (transformers 4.33.2 in
VBench's requirements). The beam search below is that version's algorithm written out
(BeamSearchScorer / BeamHypotheses with length_penalty 1, early_stopping False, the
min-length processor; scores normalised by the whole sequence length, prompt included) over the
reference decoder's logits, with the decoder's cross-attention rows paired as VBench's call
pairs them (see below). captions.json records what the installed transformers' generate() gives
through Tag2Text_Caption.generate itself, and what this loop gives with that version's
normalisation (the generated length only), which must agree.

    PYTHONPATH=<dir holding tag2Text> python3 make_fixture.py <out dir>

With `--published-random DIR` it instead writes DIR/tag2text_random.pth, a random Tag2Text of the
published size (Swin-B at 384, the med/q2l BERT configs, VBench's checkpoint layout
{'model': state_dict}), and DIR/tokenizer.json, a WordPiece tokenizer of bert-base-uncased's
size (the toy words, then filler tokens to 30522), for timing the scene dimension without the
14M-image checkpoint.
"""
import json
import math
import os
import sys
import types

import numpy as np
import torch


def stub(name, **attrs):
    mod = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(mod, k, v)
    sys.modules[name] = mod
    return mod


import transformers  # noqa: E402  (before the stubs: it probes which packages exist)

# optional imports of the reference files that this fixture never exercises
try:
    import scipy.interpolate  # noqa: F401
except ImportError:
    stub("scipy", interpolate=stub("scipy.interpolate"))
try:
    import fairscale.nn.checkpoint.checkpoint_activations  # noqa: F401
except ImportError:
    stub("fairscale"); stub("fairscale.nn"); stub("fairscale.nn.checkpoint")
    stub("fairscale.nn.checkpoint.checkpoint_activations", checkpoint_wrapper=lambda m, **k: m)
try:
    from timm.models.hub import download_cached_file  # noqa: F401
    from timm.models.layers import DropPath  # noqa: F401
except Exception:  # no timm (or one that cannot load): only its init helpers and DropPath are used
    class DropPath(torch.nn.Identity):  # identity in eval mode, which is all the fixture runs
        def __init__(self, *a, **k):
            super().__init__()

    stub("timm", models=stub("timm.models", hub=stub("timm.models.hub", download_cached_file=None),
                             layers=stub("timm.models.layers", DropPath=DropPath,
                                         to_2tuple=lambda x: tuple(x) if isinstance(x, (tuple, list)) else (x, x),
                                         trunc_normal_=torch.nn.init.trunc_normal_)))
    stub("timm.models.vision_transformer", _cfg=None, PatchEmbed=None)
    stub("timm.models.registry", register_model=lambda f: f)
    stub("timm.models.helpers", named_apply=None, adapt_input_conv=None)
import transformers.modeling_utils as mu
for name in ("apply_chunking_to_forward", "find_pruneable_heads_and_indices", "prune_linear_layer"):
    if not hasattr(mu, name):
        import transformers.pytorch_utils as pu
        setattr(mu, name, getattr(pu, name))

from tag2Text import med as M  # noqa: E402
from tag2Text import swin_transformer as S  # noqa: E402
from tag2Text import tag2text as T  # noqa: E402
from transformers import BertTokenizer, BertTokenizerFast  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

WORDS = ("a picture of the an and with on in at is are two people man woman child dog cat horse bird car bus "
         "train boat bike tree trees grass field beach sea ocean water sky cloud clouds sun mountain mountains "
         "snow road street city building house room kitchen bedroom office forest river lake bridge park "
         "garden table chair bed window door red blue green white black yellow small large old young "
         "sitting standing walking running playing flying eating holding wearing looking near next front "
         "top over under background view night day light dark wooden stone").split()
SUFFIXES = ["##s", "##ing", "##ed", "##er", "##y"]
PUNCT = [".", ",", "|", "'", "-"]
EOS_BOOST = 8.0


def write_vocab(path):
    toks = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + PUNCT + WORDS + SUFFIXES
    with open(path, "w") as f:
        f.write("\n".join(toks) + "\n")
    return toks


def tag_names(n):
    rng = np.random.default_rng(3)
    out = []
    for i in range(n):
        w = WORDS[5 + (i % (len(WORDS) - 5))]
        if i % 3 == 1:
            w = WORDS[5 + rng.integers(len(WORDS) - 5)] + " " + w
        out.append(w)
    return out


def spread(model, gen):
    """Random weights wider than the initialisation, so outputs are not near-degenerate."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2 and "relative_position_bias_table" not in name:
                fan_in = p.shape[-1] if p.dim() == 2 else p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) * (1.0 / math.sqrt(fan_in)))
            elif "relative_position_bias_table" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
            elif name.endswith("weight"):  # norms
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))


def beam_search(decoder, input_ids, enc, num_beams, max_length, min_length, eos, pad, prompt_free=False):
    """transformers 4.33.2's beam search for this call (see the module docstring).

    prompt_free: the normalisation of transformers >= 4.36 instead (the generated length without
    the prompt, counting the end token), only to check this loop against an installed generate().
    """
    batch = input_ids.shape[0]
    prompt_len = input_ids.shape[-1]
    ids = input_ids.repeat_interleave(num_beams, dim=0)
    beam_scores = torch.zeros(batch, num_beams)
    beam_scores[:, 1:] = -1e9
    beam_scores = beam_scores.view(-1)
    hyps = [[] for _ in range(batch)]  # (score, tokens)
    worst = [1e9] * batch
    done = [False] * batch

    def add(b, tokens, sum_logprobs, ended=False):
        length = tokens.shape[-1] - prompt_len + (1 if ended else 0) if prompt_free else tokens.shape[-1]
        score = sum_logprobs / (length ** 1.0)
        if len(hyps[b]) < num_beams or score > worst[b]:
            hyps[b].append((score, tokens))
            if len(hyps[b]) > num_beams:
                order = sorted([(s, i) for i, (s, _) in enumerate(hyps[b])])
                del hyps[b][order[0][1]]
                worst[b] = order[1][0]
            else:
                worst[b] = min(score, worst[b])

    while True:
        logits = decoder(input_ids=ids, encoder_hidden_states=enc, encoder_attention_mask=None,
                         return_dict=True).logits[:, -1, :]
        scores = torch.log_softmax(logits, dim=-1)
        cur_len = ids.shape[-1]
        if cur_len < min_length:
            scores[:, eos] = -float("inf")
        scores = scores + beam_scores[:, None]
        vocab = scores.shape[-1]
        scores = scores.view(batch, num_beams * vocab)
        top_scores, top_tokens = torch.topk(scores, 2 * num_beams, dim=1, largest=True, sorted=True)
        top_beams = torch.div(top_tokens, vocab, rounding_mode="floor")
        top_tokens = top_tokens % vocab
        nxt_scores = torch.zeros(batch, num_beams)
        nxt_tokens = torch.zeros(batch, num_beams, dtype=torch.long)
        nxt_index = torch.zeros(batch, num_beams, dtype=torch.long)
        for b in range(batch):
            if done[b]:
                nxt_tokens[b, :] = pad
                continue
            k = 0
            for rank in range(2 * num_beams):
                tok, sc, src = top_tokens[b, rank].item(), top_scores[b, rank].item(), top_beams[b, rank].item()
                row = b * num_beams + src
                if tok == eos:
                    if rank >= num_beams:
                        continue
                    add(b, ids[row].clone(), sc, ended=True)
                else:
                    nxt_scores[b, k], nxt_tokens[b, k], nxt_index[b, k] = sc, tok, row
                    k += 1
                if k == num_beams:
                    break
            best = top_scores[b].max().item()
            reach = cur_len + 1 - prompt_len if prompt_free else cur_len
            done[b] = done[b] or (len(hyps[b]) >= num_beams and worst[b] >= best / reach ** 1.0)
        beam_scores = nxt_scores.view(-1)
        ids = torch.cat([ids[nxt_index.view(-1)], nxt_tokens.view(-1, 1)], dim=-1)
        if all(done) or ids.shape[-1] >= max_length:
            break
    for b in range(batch):
        if done[b]:
            continue
        for j in range(num_beams):
            add(b, ids[b * num_beams + j], beam_scores[b * num_beams + j].item())
    best = [max(hyps[b], key=lambda h: h[0]) for b in range(batch)]
    lengths = [h[1].shape[-1] for h in best]
    width = min(max(lengths) + 1, max_length)
    out = torch.full((batch, width), pad, dtype=torch.long) if min(lengths) != max(lengths) \
        else torch.zeros((batch, width), dtype=torch.long)
    for b, (score, toks) in enumerate(best):
        out[b, :toks.shape[-1]] = toks
        if toks.shape[-1] < width:
            out[b, toks.shape[-1]] = eos
    return out, [h[0] for h in best]


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    vocab_path = os.path.join(out, "vocab.txt")
    write_vocab(vocab_path)
    tok = BertTokenizer(vocab_file=vocab_path, do_lower_case=True)
    tok.add_special_tokens({"bos_token": "[DEC]"})
    tok.add_special_tokens({"additional_special_tokens": ["[ENC]"]})
    tok.enc_token_id = tok.additional_special_tokens_ids[0]

    swin = dict(image_res=384, patch_size=4, embed_dim=16, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4], window_size=12)
    vision_width = swin["embed_dim"] * 8
    med = dict(hidden_size=64, num_hidden_layers=3, num_attention_heads=4, intermediate_size=128,
               vocab_size=len(tok), layer_norm_eps=1e-12, max_position_embeddings=512)
    q2l = dict(med, num_hidden_layers=2, num_attention_heads=4)
    num_class = 3429

    def bert_config(d, encoder_width):
        c = M.BertConfig(pad_token_id=0, type_vocab_size=2, hidden_act="gelu", add_cross_attention=True,
                         hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, initializer_range=0.02, **d)
        c.encoder_width = encoder_width
        c.add_tag_cross_attention = False
        return c

    model = T.Tag2Text_Caption.__new__(T.Tag2Text_Caption)
    torch.nn.Module.__init__(model)
    model.visual_encoder = S.SwinTransformer(
        img_size=swin["image_res"], patch_size=4, in_chans=3, embed_dim=swin["embed_dim"], depths=swin["depths"],
        num_heads=swin["num_heads"], window_size=swin["window_size"], mlp_ratio=4., qkv_bias=True, drop_rate=0.0,
        drop_path_rate=0.1, ape=False, patch_norm=True, use_checkpoint=False)
    model.tokenizer = tok
    model.text_decoder = M.BertLMHeadModel(config=bert_config(med, med["hidden_size"]))
    model.tag_encoder = M.BertModel(config=bert_config(med, vision_width), add_pooling_layer=False)
    model.prompt = "a picture of "
    model.prompt_length = len(tok(model.prompt).input_ids) - 1
    model.threshold = 0.7
    model.num_class = num_class
    model.vision_multi = M.BertModel(config=bert_config(q2l, vision_width), add_pooling_layer=False)
    model.label_embed = torch.nn.Embedding(num_class, q2l["hidden_size"])
    model.fc = T.GroupWiseLinear(num_class, q2l["hidden_size"], bias=True)
    model.del_selfattention()
    T.tie_encoder_decoder_weights(model.tag_encoder, model.vision_multi, "", " ")
    tags = tag_names(num_class)
    model.tag_array = np.array(tags)
    spread(model, gen)
    with torch.no_grad():
        # make [SEP] competitive so that some beams end before max_length (the end-of-sentence path)
        model.text_decoder.cls.predictions.bias[tok.sep_token_id] += EOS_BOOST
    model.eval()

    image = torch.randn(2, 3, 384, 384, generator=gen)
    g = {"image": image}
    with torch.no_grad():
        emb = model.visual_encoder(image)
        g["vision.out"] = emb
        atts = torch.ones(emb.shape[:-1], dtype=torch.long)
        label = model.label_embed.weight.unsqueeze(0).repeat(2, 1, 1)
        mlr = model.vision_multi(encoder_embeds=label, encoder_hidden_states=emb, encoder_attention_mask=atts,
                                 return_dict=False, mode="mlr")
        logits = model.fc(mlr[0])
        # shift the bias so that a handful of tags pass the 0.7 threshold, differently per image
        k = 12
        thr = torch.sort(logits[0], descending=True).values[k].item()
        with torch.no_grad():
            model.fc.b -= thr - math.log(0.7 / 0.3) - 1e-3
        logits = model.fc(mlr[0])
        g["tag.logits"] = logits

        # tags as Tag2Text_Caption.generate makes them
        targets = torch.where(torch.sigmoid(logits) > model.threshold, torch.tensor(1.0), torch.zeros(num_class))
        tag = targets.numpy()
        tag[:, T.delete_tag_index] = 0
        tag_input = [" | ".join(model.tag_array[np.argwhere(tag[b] == 1)].squeeze(axis=1)) for b in range(2)]
        beams = 3
        emb_b = emb.repeat_interleave(beams, dim=0)
        atts_b = atts.repeat_interleave(beams, dim=0)
        tag_rep = [t for t in tag_input for _ in range(beams)]
        enc_tok = tok(tag_rep, padding="max_length", truncation=True, max_length=40, return_tensors="pt")
        enc_ids = enc_tok.input_ids.clone()
        enc_ids[:, 0] = tok.enc_token_id
        g["tag.encoder_ids"] = enc_ids
        g["tag.encoder_mask"] = enc_tok.attention_mask
        g["tag.encoder_image"] = emb_b
        enc_out = model.tag_encoder(enc_ids, attention_mask=enc_tok.attention_mask, encoder_hidden_states=emb_b,
                                    encoder_attention_mask=atts_b, return_dict=True).last_hidden_state
        g["tag.encoder_out"] = enc_out

        prompt_ids = tok([model.prompt] * 2, return_tensors="pt").input_ids
        prompt_ids[:, 0] = tok.bos_token_id
        prompt_ids = prompt_ids[:, :-1]
        g["caption.prompt_ids"] = prompt_ids
        forced = torch.cat([prompt_ids.repeat_interleave(beams, dim=0),
                            torch.randint(5, len(tok), (2 * beams, 8), generator=gen)], dim=1)
        g["decoder.input_ids"] = forced
        g["decoder.logits"] = model.text_decoder(input_ids=forced, encoder_hidden_states=enc_out,
                                                 encoder_attention_mask=None, return_dict=True).logits

        # beam search written out (transformers 4.33.2). The decoder's key rows are what VBench's
        # call really passes: generate() repeats the already per-beam tag encodings once more
        # (model_kwargs are expanded num_beams times), and med.py's cross-attention keeps the
        # first rows of a key batch larger than the query batch, so image b's beams attend to the
        # tags of image b // num_beams
        prompt_b = prompt_ids  # (2, P); beam_search repeats it per beam
        enc_seen = enc_out.repeat_interleave(beams, dim=0)[: enc_out.shape[0]]
        g["caption.encoder_states"] = enc_seen
        seqs, seq_scores = beam_search(model.text_decoder, prompt_b, enc_seen, beams, 30, 10,
                                       tok.sep_token_id, tok.pad_token_id)
        g["caption.ids"] = seqs
        caps = [tok.decode(s, skip_special_tokens=True)[len(model.prompt):] for s in seqs]

        hf = {"transformers": transformers.__version__}
        try:
            # Tag2Text_Caption.generate's own call into the installed transformers (from 4.50 the
            # decoder needs GenerationMixin mixed in to have generate() at all)
            from transformers import GenerationMixin
            if not hasattr(model.text_decoder, "generate"):
                model.text_decoder.__class__ = type("Decoder", (M.BertLMHeadModel, GenerationMixin), {})
            if getattr(model.text_decoder, "generation_config", None) is None:
                from transformers import GenerationConfig
                model.text_decoder.generation_config = GenerationConfig.from_model_config(model.text_decoder.config)
            real, real_tags = model.generate(image, sample=False, num_beams=3, max_length=30, min_length=10,
                                             return_tag_predict=True)
            hf["captions"] = real
            hf["tags"] = real_tags
            hf["agrees"] = real == caps
            # (Tag2Text_Caption.generate returns the first image's tags for every image: a quirk
            # of its return_tag_predict, unused by VBench's scene)
            newer, _ = beam_search(model.text_decoder, prompt_b, enc_seen, beams, 30, 10, tok.sep_token_id,
                                   tok.pad_token_id, prompt_free=True)
            hf["this_loop_with_newer_normalisation"] = [tok.decode(x, skip_special_tokens=True)[len(model.prompt):]
                                                        for x in newer]
        except Exception as e:  # newer transformers break this BLIP-era code in several ways
            hf["error"] = f"{type(e).__name__}: {str(e)[:300]}"

    fast = BertTokenizerFast(vocab_file=vocab_path, do_lower_case=True)
    fast.add_special_tokens({"bos_token": "[DEC]"})
    fast.add_special_tokens({"additional_special_tokens": ["[ENC]"]})
    fast.backend_tokenizer.save(os.path.join(out, "tokenizer.json"))
    fast_ids = fast(tag_rep, padding="max_length", truncation=True, max_length=40).input_ids
    with open(os.path.join(out, "tag_list.txt"), "w") as f:
        f.write("\n".join(tags) + "\n")
    # Swin's attn_mask and relative_position_index buffers are derived from the config (the Java
    # port computes them); left out, they would be 90% of the file
    state = {k: v for k, v in model.state_dict().items()
             if not k.endswith(("attn_mask", "relative_position_index"))}
    torch.save({"model": state}, os.path.join(out, "tag2text_toy.pth"))
    tensors = {k: (v.float() if v.is_floating_point() else v.long()).contiguous() for k, v in g.items()}
    save_file(tensors, os.path.join(out, "golden.safetensors"))
    cfg = {"swin": dict(swin), "med": med, "tag_encoder_width": vision_width, "decoder_encoder_width": med["hidden_size"],
           "q2l": dict(q2l, encoder_width=vision_width), "num_class": num_class, "threshold": 0.7,
           "prompt": model.prompt, "num_beams": 3, "max_length": 30, "min_length": 10,
           "delete_tag_index": list(T.delete_tag_index), "bos_token_id": tok.bos_token_id,
           "enc_token_id": tok.enc_token_id, "sep_token_id": tok.sep_token_id, "pad_token_id": tok.pad_token_id}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(out, "captions.json"), "w") as f:
        json.dump({"tags": tag_input, "captions": caps, "sequence_scores": seq_scores,
                   "fast_tokenizer_agrees": fast_ids == enc_tok.input_ids.tolist(), "hf_generate": hf,
                   "torch": torch.__version__}, f, indent=1)
    print(json.dumps({"tags": tag_input, "captions": caps, "hf": hf}, indent=1)[:3000])


def published_random(out):
    """A random Tag2Text_Caption of the published size, saved as tag2text_swin_14m.pth is laid out."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "tag2text_random.pth")
    vocab_path = os.path.join(out, "vocab.txt")
    toks = write_vocab(vocab_path)
    with open(vocab_path, "a") as f:
        f.write("".join(f"[filler{i}]\n" for i in range(30522 - len(toks))))
    BertTokenizerFast(vocab_file=vocab_path, do_lower_case=True).backend_tokenizer.save(
        os.path.join(out, "tokenizer.json"))
    torch.manual_seed(0)
    swin = json.load(open(os.path.join(os.path.dirname(T.__file__), "config_swinB_384.json")))
    med = json.load(open(os.path.join(os.path.dirname(T.__file__), "med_config.json")))
    q2l = json.load(open(os.path.join(os.path.dirname(T.__file__), "q2l_config.json")))
    model = T.Tag2Text_Caption.__new__(T.Tag2Text_Caption)
    torch.nn.Module.__init__(model)
    model.visual_encoder = S.SwinTransformer(
        img_size=384, patch_size=4, in_chans=3, embed_dim=swin["embed_dim"], depths=swin["depths"],
        num_heads=swin["num_heads"], window_size=swin["window_size"], mlp_ratio=4., qkv_bias=True,
        drop_rate=0.0, drop_path_rate=0.1, ape=False, patch_norm=True, use_checkpoint=False)
    dec = M.BertConfig.from_dict(med)
    dec.encoder_width = 768
    enc = M.BertConfig.from_dict(med)
    enc.encoder_width = swin["vision_width"]
    q = M.BertConfig.from_dict(q2l)
    q.encoder_width = swin["vision_width"]
    model.text_decoder = M.BertLMHeadModel(config=dec)
    model.tag_encoder = M.BertModel(config=enc, add_pooling_layer=False)
    model.vision_multi = M.BertModel(config=q, add_pooling_layer=False)
    model.label_embed = torch.nn.Embedding(3429, 768)
    model.fc = T.GroupWiseLinear(3429, 768, bias=True)
    model.del_selfattention()
    T.tie_encoder_decoder_weights(model.tag_encoder, model.vision_multi, "", " ")
    torch.save({"model": model.state_dict()}, path)
    print("wrote", path, sum(p.numel() for p in model.parameters()), "parameters")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--published-random":
        published_random(sys.argv[2])
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else ".")
