"""Golden fixture for the DJL MUSIQ port (dev.qvgen.metrics.musiq) and VBench's imaging_quality.

Builds a TOY-size random MUSIQ with pyiqa's own reference code (pyiqa/archs/musiq_arch.py: the
same ResNet stem, 32-px patches, hash-based spatial / scale embeddings and pre-norm transformer
as the SPAQ checkpoint VBench uses, with num_class=1; only hidden size, MLP size, heads and
layers are small), saves its state dict as the published musiq_spaq_ckpt-358bb6af.pth is laid
out (a plain torch.save(state_dict)), and records:
  * the model on two random images of different sizes (score and the CLS feature after the
    encoder norm) with VBench's configuration (longer sides 224 and 384 plus the original
    resolution, max_seq_len_from_original_res=-1);
  * pyiqa's get_multiscale_patches on the same images with small longer sides (48, 80), the
    whole (1, L, 32*32*3 + 3) tensor, and the position / scale / mask columns with VBench's
    sides;
  * get_hashed_spatial_pos_emb_index(10, count_h, count_w) for a list of patch-grid sizes;
  * VBench's technical_quality() (vbench/imaging_quality.py, preprocess_mode 'longer') on two
    synthetic videos, one wider than 512 px so that VBench's resize runs.

Usage: python3 make_fixture.py <ref_dir> <out_dir>
  <ref_dir> holds copies of pyiqa/archs/{musiq_arch,arch_util,constants}.py,
  pyiqa/data/multiscale_trans_util.py, pyiqa/matlab_utils/padding.py and
  vbench/{utils,distributed,imaging_quality}.py; they are imported from there (with stand-ins
  for pyiqa's registry and downloader, which play no part in a forward pass) and never copied
  into this repository.

Writes musiq_toy.pth, golden.safetensors (float32; integer data stored as float) and
golden.json (configuration, reference results).
"""
import importlib.util, json, os, struct, sys, types

import numpy as np
import torch

ref_dir, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
stubs = []


def package(name, path=None):
    m = types.ModuleType(name)
    m.__path__ = [path] if path else []
    sys.modules[name] = m
    return m


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


# pyiqa's package __init__ files import every metric; only the modules MUSIQ uses are loaded.
package("pyiqa", os.path.join(ref_dir, "pyiqa"))
package("pyiqa.utils")
reg = types.ModuleType("pyiqa.utils.registry")
reg.ARCH_REGISTRY = types.SimpleNamespace(register=lambda: (lambda cls: cls))
sys.modules["pyiqa.utils.registry"] = reg
stubs.append("pyiqa.utils.registry.ARCH_REGISTRY.register = identity")
dl = types.ModuleType("pyiqa.utils.download_util")
dl.load_file_from_url = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no downloads"))
sys.modules["pyiqa.utils.download_util"] = dl
stubs.append("pyiqa.utils.download_util.load_file_from_url (never called)")
try:
    import huggingface_hub  # noqa: F401
except ImportError:
    hf = types.ModuleType("huggingface_hub"); hf.hf_hub_url = lambda *a, **k: ""
    sys.modules["huggingface_hub"] = hf; stubs.append("huggingface_hub.hf_hub_url (never called)")
try:
    import tqdm  # noqa: F401
except ImportError:
    tq = types.ModuleType("tqdm"); tq.tqdm = lambda it, **k: it
    sys.modules["tqdm"] = tq; stubs.append("tqdm.tqdm = identity")
load("pyiqa.matlab_utils", os.path.join(ref_dir, "pyiqa", "matlab_utils", "padding.py"))
stubs.append("pyiqa.matlab_utils = pyiqa/matlab_utils/padding.py only")
package("pyiqa.archs", os.path.join(ref_dir, "pyiqa", "archs"))
package("pyiqa.data", os.path.join(ref_dir, "pyiqa", "data"))

# VBench's load_video reads mp4 through decord: a stand-in serving the synthetic frames with
# decord's native bridge (get_batch(...).asnumpy() -> uint8 (T, H, W, C)).
VIDEOS = {}
class VideoReader:
    def __init__(self, path, num_threads=1, **kw):
        self.frames = VIDEOS[path]
    def __len__(self):
        return self.frames.shape[0]
    def get_batch(self, idx):
        f = self.frames[np.asarray(list(idx), dtype=np.int64)].copy()
        return types.SimpleNamespace(asnumpy=lambda: f)
dec = types.ModuleType("decord"); dec.VideoReader = VideoReader; dec.cpu = lambda i=0: None
dec.bridge = types.SimpleNamespace(set_bridge=lambda name: None)
sys.modules["decord"] = dec
stubs.append("decord.VideoReader serving the synthetic frames")
package("vbench", os.path.join(ref_dir, "vbench"))

from pyiqa.archs.musiq_arch import MUSIQ  # noqa: E402
from pyiqa.data.multiscale_trans_util import (  # noqa: E402
    get_multiscale_patches, get_hashed_spatial_pos_emb_index)
import vbench.imaging_quality as iq  # noqa: E402

torch.manual_seed(0)
np.random.seed(0)
CFG = dict(patch_size=32, num_class=1, hidden_size=16, mlp_dim=24, num_heads=2, num_layers=2,
           num_scales=3, spatial_pos_grid_size=10, longer_side_lengths=[224, 384],
           max_seq_len_from_original_res=-1)
model = MUSIQ(pretrained=False, **CFG)
# the constructor's init leaves the norms at 1/0 and cls at 0: randomise every parameter so that
# a wrong key or a transposed weight shows
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith(".bias") or "gn" in name or "norm" in name or name.endswith("cls"):
            p.copy_(torch.randn_like(p) * 0.2 + (1.0 if name.endswith("weight") else 0.0))
        elif "posembed" in name or "scaleembed" in name:
            p.copy_(torch.randn_like(p) * 0.5)
        elif name.endswith("embedding.weight"):
            p.copy_(torch.randn_like(p) / np.sqrt(p.shape[1]))
model.training = False  # as VBench's compute_imaging_quality does
torch.save(model.state_dict(), os.path.join(out_dir, "musiq_toy.pth"))

tensors = {}
cls_out = {}
model.transformer_encoder.register_forward_hook(lambda m, i, o: cls_out.__setitem__("x", o[:, 0].detach()))

SIZES = [(45, 70), (100, 64)]
with torch.no_grad():
    for i, (h, w) in enumerate(SIZES):
        img = torch.rand(1, 3, h, w)
        tensors[f"image{i}"] = img
        tensors[f"score{i}"] = model(img)
        tensors[f"cls{i}"] = cls_out["x"]
        x = (img - 0.5) * 2
        tensors[f"patches{i}_small"] = get_multiscale_patches(
            x, 32, 32, 10, [48, 80], -1)
        tensors[f"meta{i}"] = get_multiscale_patches(x, 32, 32, 10, [224, 384], -1)[:, :, -3:]

HASH = [[1, 1], [2, 3], [5, 7], [7, 7], [9, 12], [12, 12], [3, 15], [16, 11], [13, 16], [6, 14],
        [20, 17], [15, 15], [11, 10], [10, 13]]
for ch, cw in HASH:
    tensors[f"hash_{ch}x{cw}"] = get_hashed_spatial_pos_emb_index(10, ch, cw)

# Synthetic videos: smooth gradients plus noise, uint8 (T, H, W, 3) as decord returns them.
def video(t, h, w, seed):
    r = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    frames = []
    for k in range(t):
        base = np.stack([(xx * 3 + k * 20) % 256, (yy * 5 + k * 7) % 256, (xx + yy) % 256], -1)
        frames.append(np.clip(base + r.randint(-30, 31, base.shape), 0, 255))
    return np.asarray(frames, dtype=np.uint8)

VIDEOS["clip_a-0.mp4"] = video(3, 40, 56, 1)
VIDEOS["clip_b-0.mp4"] = video(2, 24, 520, 2)  # longer side > 512: VBench resizes to 23x512
for k, v in VIDEOS.items():
    tensors["video_" + k.split("-")[0]] = torch.from_numpy(v.astype(np.float32))
with torch.no_grad():
    avg, per_video = iq.technical_quality(model, list(VIDEOS), "cpu")


def save_safetensors(path, ts):
    header, blobs, off = {}, [], 0
    for k, t in ts.items():
        a = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(a)]}
        blobs.append(a); off += len(a)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs:
            f.write(b)


save_safetensors(os.path.join(out_dir, "golden.safetensors"), tensors)
gold = {
    "config": CFG,
    "image_sizes": SIZES,
    "small_longer_side_lengths": [48, 80],
    "hash_grid": 10,
    "hash_counts": HASH,
    "videos": {k: list(v.shape) for k, v in VIDEOS.items()},
    "imaging_quality": {"average": avg, "video_results": per_video},
    "scores": [float(tensors[f"score{i}"].item()) for i in range(len(SIZES))],
    "stubs": stubs,
    "torch": torch.__version__,
    "reference": {"pyiqa": "chaofengc/IQA-PyTorch@01ae427f9afd66842031d3a7cb694dcad5b5cbb8",
                  "vbench": "Vchitect/VBench@45e79ec14e69a2187202c675d2dbce1a71843d53"},
}
with open(os.path.join(out_dir, "golden.json"), "w") as f:
    json.dump(gold, f, indent=1)
print(json.dumps({k: gold[k] for k in ("scores", "imaging_quality", "stubs")}, indent=1))
