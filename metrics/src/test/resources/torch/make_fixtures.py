"""Writes small torch.save-format files without torch, for TorchPickle tests.

The pickles reference the same globals torch writes (collections.OrderedDict,
torch._utils._rebuild_tensor_v2, torch.FloatStorage, __torch__.* module classes), with
stand-in modules registered in sys.modules; storages are raw little-endian files in the zip.
Run: python3 make_fixtures.py  (regenerates the .pth files next to it)
"""
import collections, io, pickle, struct, sys, types, zipfile

torch = types.ModuleType("torch"); utils = types.ModuleType("torch._utils")
class FloatStorage: pass
FloatStorage.__module__ = "torch"; torch.FloatStorage = FloatStorage
def _rebuild_tensor_v2(*a): pass
_rebuild_tensor_v2.__module__ = "torch._utils"; utils._rebuild_tensor_v2 = _rebuild_tensor_v2
sys.modules["torch"] = torch; sys.modules["torch._utils"] = utils
ts = types.ModuleType("__torch__.clip.model"); sys.modules["__torch__"] = types.ModuleType("__torch__")
sys.modules["__torch__.clip"] = types.ModuleType("__torch__.clip"); sys.modules["__torch__.clip.model"] = ts

class Storage:
    def __init__(self, key, values): self.key, self.values = key, values
class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))

class P(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu", len(obj.values))
        return None

def save(path, root, storages, archive, scripted=False):
    buf = io.BytesIO(); P(buf, protocol=2).dump(root)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(archive + "/data.pkl", buf.getvalue())
        if scripted:  # TorchScript archives also hold constants.pkl (and code/)
            z.writestr(archive + "/constants.pkl", pickle.dumps((), protocol=2))
        z.writestr(archive + "/byteorder", "little")
        for s in storages:
            z.writestr(archive + "/data/" + s.key, struct.pack("<%df" % len(s.values), *s.values))

# 1. aesthetic heads: nn.Linear(32, 1) state dicts. constant: weight 0, bias 5 -> every frame rates 5
w0 = Storage("0", [0.0] * 32); b0 = Storage("1", [5.0])
sd = collections.OrderedDict([("weight", Tensor(w0, 0, (1, 32), (32, 1))), ("bias", Tensor(b0, 0, (1,), (1,)))])
save("aesthetic_head_constant5.pth", sd, [w0, b0], "aesthetic_head_constant5")

# 2. views: a transposed view and an offset view of one shared storage, nested in {"model": ...}
s = Storage("0", [float(i) for i in range(12)])
sd = collections.OrderedDict([
    ("plain", Tensor(s, 0, (3, 4), (4, 1))),      # [[0..3],[4..7],[8..11]]
    ("transposed", Tensor(s, 0, (4, 3), (1, 4))), # its transpose
    ("offset", Tensor(s, 5, (2, 3), (3, 1))),      # [[5,6,7],[8,9,10]]
])
save("views.pth", {"model": sd, "epoch": 3}, [s], "views")

# 3. a TorchScript-style module tree: __torch__ objects whose attributes are tensors and submodules
class Linear: pass
Linear.__module__ = "__torch__.torch.nn.modules.linear"; Linear.__qualname__ = "Linear"
sys.modules["__torch__.torch"] = types.ModuleType("__torch__.torch")
sys.modules["__torch__.torch.nn"] = types.ModuleType("__torch__.torch.nn")
sys.modules["__torch__.torch.nn.modules"] = types.ModuleType("__torch__.torch.nn.modules")
lin_mod = types.ModuleType("__torch__.torch.nn.modules.linear"); lin_mod.Linear = Linear
sys.modules["__torch__.torch.nn.modules.linear"] = lin_mod
class CLIP: pass
CLIP.__module__ = "__torch__.clip.model"; ts.CLIP = CLIP
ws = Storage("0", [1.0, 2.0, 3.0, 4.0]); bs = Storage("1", [0.5, -0.5]); ls = Storage("2", [4.6052])
lin = Linear(); lin.__dict__.update({"training": False, "weight": Tensor(ws, 0, (2, 2), (2, 1)), "bias": Tensor(bs, 0, (2,), (1,))})
root = CLIP(); root.__dict__.update({"training": False, "proj": lin, "logit_scale": Tensor(ls, 0, (), ()), "context_length": 77})
save("torchscript_tree.pth", root, [ws, bs, ls], "archive", scripted=True)

# 4. a random toy CLIP in the published key layout with a 520-token vocabulary, so that the
#    ids of bpe_tiny.txt (512 byte symbols + 4 merges + start/end = 518) fit; text width 64 gives
#    build_model's width // 64 = 1 head. Vision: width 64, patch 16, 64 px, 1 layer; embed 32.
import math, random
rnd = random.Random(5)
def block_shapes(prefix, w):
    return [(prefix + "attn.in_proj_weight", (3 * w, w)), (prefix + "attn.in_proj_bias", (3 * w,)),
            (prefix + "attn.out_proj.weight", (w, w)), (prefix + "attn.out_proj.bias", (w,)),
            (prefix + "ln_1.weight", (w,)), (prefix + "ln_1.bias", (w,)),
            (prefix + "mlp.c_fc.weight", (4 * w, w)), (prefix + "mlp.c_fc.bias", (4 * w,)),
            (prefix + "mlp.c_proj.weight", (w, 4 * w)), (prefix + "mlp.c_proj.bias", (w,)),
            (prefix + "ln_2.weight", (w,)), (prefix + "ln_2.bias", (w,))]
shapes = [("positional_embedding", (16, 64)), ("text_projection", (64, 32)), ("logit_scale", ()),
          ("visual.class_embedding", (64,)), ("visual.positional_embedding", (17, 64)), ("visual.proj", (64, 32)),
          ("visual.conv1.weight", (64, 3, 16, 16)), ("visual.ln_pre.weight", (64,)), ("visual.ln_pre.bias", (64,))]
shapes += block_shapes("visual.transformer.resblocks.0.", 64)
shapes += [("visual.ln_post.weight", (64,)), ("visual.ln_post.bias", (64,))]
shapes += block_shapes("transformer.resblocks.0.", 64)
shapes += [("token_embedding.weight", (520, 64)), ("ln_final.weight", (64,)), ("ln_final.bias", (64,))]
sd = collections.OrderedDict(); storages = []
for i, (name, shape) in enumerate(shapes):
    n = 1
    for d in shape: n *= d
    if name == "logit_scale":
        vals = [math.log(100.0)]
    elif name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or ".ln_" in name and name.endswith("weight") or name.startswith("ln_final.weight"):
        vals = [1.0] * n
    else:
        vals = [rnd.gauss(0.0, 0.1) for _ in range(n)]
    st = Storage(str(i), vals); storages.append(st)
    stride = []; acc = 1
    for d in reversed(shape): stride.insert(0, acc); acc *= d
    sd[name] = Tensor(st, 0, tuple(shape), tuple(stride))
save("clip_toy520.pth", sd, storages, "clip_toy520")
