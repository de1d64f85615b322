"""Golden fixture for the DJL ViCLIP port (dev.qvgen.metrics.viclip) and VBench's
overall_consistency / temporal_style.

Builds a TOY-size random ViCLIP with VBench's own reference code (vbench/third_party/ViCLIP:
ViCLIP, VisionTransformer, CLIP_TEXT, SimpleTokenizer; only the sizes differ from ViT-L/14),
saves its weights as the published ViClip-InternVid-10M-FLT.pth is laid out
(torch.save({"model": state_dict})), and runs VBench's overall_consistency() and
temporal_style() on a synthetic video, plus the towers on random inputs.

Usage: python3 make_fixture.py <ref_dir> <out_dir> [bpe_tiny.txt]
  <ref_dir> holds a copy of VBench's vbench/utils.py, vbench/distributed.py,
  vbench/overall_consistency.py, vbench/temporal_style.py and vbench/third_party/ViCLIP/*.py
  (with empty vbench/__init__.py and vbench/third_party/__init__.py); the reference code is
  imported from there and never copied into this repository.
  bpe_tiny.txt (../torch/bpe_tiny.txt, a 4-merge vocabulary: 518 ids) is given to the
  reference SimpleTokenizer, so that token ids fit the toy 520-token embedding.

Writes viclip_toy.pth, golden.safetensors (float32 tensors; integer data stored as float)
and golden.json (configuration, prompts, reference token ids and scores).
"""
import gzip, json, os, struct, sys, tempfile, types

import numpy as np
import torch

ref_dir, out_dir = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
os.makedirs(out_dir, exist_ok=True)
stubs = []

# simple_tokenizer evaluates default_bpe() at import: point VBench's cache at a real merges file
cache = tempfile.mkdtemp()
os.makedirs(os.path.join(cache, "ViCLIP"))
tiny_gz = os.path.join(cache, "ViCLIP", "bpe_simple_vocab_16e6.txt.gz")
bpe_tiny = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, "..", "torch", "bpe_tiny.txt")
with open(bpe_tiny, "rb") as f, gzip.open(tiny_gz, "wb") as g:
    g.write(f.read().rstrip(b"\n"))  # a trailing newline would add an empty merge to the reference vocab
os.environ["VBENCH_CACHE_DIR"] = cache

# Packages the reference imports but that are absent on the machine that runs this: stand-ins
# only where the import fails, and listed in golden.json.
try:
    import ftfy  # noqa: F401
except ImportError:
    m = types.ModuleType("ftfy"); m.fix_text = lambda s: s  # prompts here are plain ASCII
    sys.modules["ftfy"] = m; stubs.append("ftfy.fix_text = identity")
try:
    from pkg_resources import packaging  # noqa: F401
except ImportError:
    import packaging.version
    m = types.ModuleType("pkg_resources"); m.packaging = packaging
    sys.modules["pkg_resources"] = m; stubs.append("pkg_resources.packaging = packaging")
try:
    import clip  # noqa: F401  (imported by overall_consistency.py, never used)
except ImportError:
    sys.modules["clip"] = types.ModuleType("clip"); stubs.append("clip (unused import)")

# The video source: decord's VideoReader replaced by one serving the synthetic frames, with
# decord's torch bridge behaviour (get_batch -> uint8 tensor (T, H, W, C)).
VIDEOS = {}
class VideoReader:
    def __init__(self, path, num_threads=1, **kw):
        self.frames = VIDEOS[path]
    def __len__(self):
        return self.frames.shape[0]
    def get_avg_fps(self):
        return 8.0
    def get_batch(self, idx):
        return torch.from_numpy(self.frames[np.asarray(idx, dtype=np.int64)].copy())
dec = types.ModuleType("decord"); dec.VideoReader = VideoReader; dec.cpu = lambda i=0: None
dec.bridge = types.SimpleNamespace(set_bridge=lambda name: None)
sys.modules["decord"] = dec

sys.path.insert(0, ref_dir)
from vbench.utils import clip_transform, get_frame_indices, read_frames_decord_by_fps  # noqa: E402
from vbench.third_party.ViCLIP.viclip import ViCLIP  # noqa: E402
from vbench.third_party.ViCLIP.viclip_vision import VisionTransformer  # noqa: E402
from vbench.third_party.ViCLIP.viclip_text import CLIP_TEXT  # noqa: E402
from vbench.third_party.ViCLIP.simple_tokenizer import SimpleTokenizer  # noqa: E402
import vbench.overall_consistency as oc  # noqa: E402
import vbench.temporal_style as ts  # noqa: E402

torch.manual_seed(0)
np.random.seed(0)
# 224 px as VBench's clip_transform(224) hard-codes; patch 14 as ViT-L/14 (2049 tokens for 8 frames)
CFG = dict(input_resolution=224, patch_size=14, vision_width=64, vision_layers=2, vision_heads=4,
           num_frames=8, embed_dim=32, text_width=64, text_layers=2, text_heads=4,
           context_length=32, vocab_size=520)

class ToyViCLIP(ViCLIP):
    """VBench's ViCLIP with toy tower sizes (its builders hard-code ViT-L/14)."""
    def build_vision_encoder(self):
        return VisionTransformer(input_resolution=CFG["input_resolution"], patch_size=CFG["patch_size"],
                                 width=CFG["vision_width"], layers=CFG["vision_layers"],
                                 heads=CFG["vision_heads"], output_dim=CFG["embed_dim"], kernel_size=1,
                                 num_frames=CFG["num_frames"]).eval()
    def build_text_encoder(self):
        t = CLIP_TEXT(CFG["embed_dim"], self.max_txt_l, CFG["vocab_size"], CFG["text_width"],
                      CFG["text_heads"], CFG["text_layers"], 0)
        return t.eval()

tokenizer = SimpleTokenizer(tiny_gz)
model = ToyViCLIP(tokenizer=tokenizer, pretrain=None).eval()
assert model.max_txt_l == CFG["context_length"]

# every parameter random (the reference leaves proj / text_projection / positional_embedding
# uninitialised); scales keep activations O(1)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name == "temp":
            continue
        leaf = name.split(".")[-1]
        if name.endswith(("ln_1.weight", "ln_2.weight", "ln_pre.weight", "ln_post.weight", "ln_final.weight")):
            p.copy_(1 + 0.2 * torch.randn_like(p))
        elif leaf.endswith("bias"):
            p.copy_(0.1 * torch.randn_like(p))
        elif "embedding" in name:
            p.copy_(0.5 * torch.randn_like(p))
        elif leaf in ("proj", "text_projection"):
            p.copy_(torch.randn_like(p) / p.shape[0] ** 0.5)
        else:  # Linear / in_proj / Conv3d weights: fan-in scaling
            p.copy_(torch.randn_like(p) / (p[0].numel() ** 0.5))

sd = model.state_dict()
torch.save({"model": sd}, os.path.join(out_dir, "viclip_toy.pth"))

golden = {}
with torch.no_grad():
    # towers on random inputs: a (B, T, C, H, W) video batch, single images, random token ids
    r = CFG["input_resolution"]
    # random 28x28 planes blown up 8x by repetition, so that only the small ones need storing
    up = lambda x: x.repeat_interleave(8, -1).repeat_interleave(8, -2)
    video_small = torch.randn(2, CFG["num_frames"], 3, r // 8, r // 8)
    golden["video_small"] = video_small
    golden["video_embeds"] = model.encode_vision(up(video_small), test=True)
    image_small = torch.randn(2, 3, r // 8, r // 8)
    golden["image_small"] = image_small
    image_in = up(image_small)
    golden["image_embeds"] = model.encode_vision(image_in, test=True)  # T = 1: mean temporal embedding
    ids = torch.randint(1, 516, (2, CFG["context_length"]), dtype=torch.int32)
    ids[0, 0] = 516; ids[0, 9] = 517; ids[0, 10:] = 0       # sot ... eot, padded
    ids[1, 0] = 516; ids[1, -1] = 517                        # full row, eot last
    golden["text_ids"] = ids.float()
    golden["text_embeds"] = model.text_encoder(ids)
    v = torch.nn.functional.normalize(golden["video_embeds"], dim=-1)
    t = torch.nn.functional.normalize(golden["text_embeds"], dim=-1)
    golden["similarity"] = v @ t.T

    # VBench's own dimension code on a synthetic 13-frame 36x50 video (decord stand-in above)
    T, H, W = 13, 36, 50
    yy, xx = np.meshgrid(np.linspace(0, 1, H), np.linspace(0, 1, W), indexing="ij")
    frames = np.zeros((T, H, W, 3), dtype=np.float64)
    for i in range(T):
        for c in range(3):
            frames[i, :, :, c] = 128 + 90 * np.sin(6 * xx + 4 * yy * (c + 1) + 0.5 * i) \
                + 25 * np.random.randn(H, W)
    frames = np.clip(np.round(frames), 0, 255).astype(np.uint8)
    VIDEOS["synthetic.mp4"] = frames
    golden["frames"] = torch.from_numpy(frames.astype(np.float32))
    idx = get_frame_indices(8, T, sample="middle")
    golden["frame_indices"] = torch.tensor(idx, dtype=torch.float32)
    sampled = read_frames_decord_by_fps("synthetic.mp4", num_frames=8, sample="middle")
    pre = clip_transform(r)(sampled)
    assert pre.shape == (8, 3, r, r), pre.shape
    golden["frames_transformed_sub4"] = pre.float()[:, :, ::4, ::4].contiguous()  # every 4th row and column
    golden["pipeline_video_embeds"] = model.encode_vision(pre.unsqueeze(0), test=True)

    prompts = ["hello", "hello world, in the style of a sketch",
               "a very long prompt that the tokenizer truncates to thirty two tokens at the end"]
    tokens = {p: model.text_encoder.tokenize(p, context_length=model.max_txt_l)[0].tolist() for p in prompts}
    golden["prompt_text_embeds"] = torch.cat([model.encode_text(p) for p in prompts])
    scores = {}
    for p in prompts:
        vd = [{"prompt": p, "video_list": ["synthetic.mp4"]}]
        avg_oc, res_oc = oc.overall_consistency(model, vd, tokenizer, "cpu")
        avg_ts, res_ts = ts.temporal_style(model, vd, tokenizer, "cpu")
        scores[p] = {"overall_consistency": float(avg_oc), "temporal_style": float(avg_ts),
                     "video_results": res_oc[0]["video_results"]}

# safetensors by hand: 8-byte little-endian header length, JSON header, raw little-endian bytes
def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for k, v in tensors.items():
        b = v.detach().contiguous().float().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b); off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs:
            f.write(b)

save_safetensors(os.path.join(out_dir, "golden.safetensors"), golden)
meta = dict(CFG)
meta.update({
    "reference": "Vchitect/VBench vbench/third_party/ViCLIP (ViCLIP, VisionTransformer kernel_size=1, CLIP_TEXT), "
                 "vbench/overall_consistency.py, vbench/temporal_style.py, vbench/utils.py",
    "torch": torch.__version__, "stubs": stubs, "sot": tokenizer.encoder["<|startoftext|>"],
    "eot": tokenizer.encoder["<|endoftext|>"], "tokenizer": "bpe_tiny.txt (518 ids; sot 516, eot 517)",
    "video": {"frames": T, "height": H, "width": W, "fps": 8.0},
    "prompts": prompts, "tokens": tokens, "scores": scores,
    "tensors": {k: list(v.shape) for k, v in golden.items()},
})
with open(os.path.join(out_dir, "golden.json"), "w") as f:
    json.dump(meta, f, indent=1)
print(json.dumps({"scores": scores, "stubs": stubs, "tokens": tokens}, indent=1))
