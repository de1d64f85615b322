"""Makes golden-128x160.safetensors for RaftParityTest: VBench's PyTorch RAFT on frames large enough
that every correlation pyramid level is wider than one pixel (the shared golden's 60x92 frames
are not, so its flows are NaN).

Runs vbench/third_party/RAFT/core/raft.py (not part of this repository) as VBench's
dynamic_degree does: RAFT(small=False, mixed_precision=False, alternate_corr=False), the
checkpoint's 'module.' prefix dropped, eval mode, float32 on CPU, iters=20, test_mode=True.

    python3 make_fixture_128x160.py <dir holding vbench/third_party/RAFT> <raft-things.pth> <out file>

The weights are the shared fixture's random full-size raft-things.pth
(../shared/fixtures/metrics/raft), so only the small golden tensors are committed.
"""
import argparse
import json
import struct
import sys
import types

import torch
import torch.nn.functional as F

ref_root, weights, out_file = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, ref_root)
try:
    import scipy  # noqa: F401  (utils.py imports scipy.interpolate for a helper RAFT's forward never calls)
except ImportError:
    stub = types.ModuleType('scipy')
    stub.interpolate = types.ModuleType('scipy.interpolate')
    sys.modules['scipy'] = stub
    sys.modules['scipy.interpolate'] = stub.interpolate

from vbench.third_party.RAFT.core.raft import RAFT  # noqa: E402
from vbench.third_party.RAFT.core.utils_core.utils import InputPadder  # noqa: E402

torch.manual_seed(1)
torch.set_num_threads(4)
args = argparse.Namespace(small=False, mixed_precision=False, alternate_corr=False, dropout=0)
model = RAFT(args)
ckpt = torch.load(weights, map_location='cpu')
model.load_state_dict({k.replace('module.', ''): v for k, v in ckpt.items()})
model.eval()

# a smooth random texture shifted by (dx, dy) = (3, -2) pixels, plus noise; RGB 0..255 floats
H, W = 128, 160
base = F.interpolate(torch.rand(1, 3, 16, 20) * 255, size=(H + 16, W + 16), mode='bicubic', align_corners=False)
image1 = (base[:, :, 8:8 + H, 8:8 + W] + torch.randn(1, 3, H, W) * 4).clamp(0, 255).round()
image2 = (base[:, :, 10:10 + H, 5:5 + W] + torch.randn(1, 3, H, W) * 4).clamp(0, 255).round()

padder = InputPadder(image1.shape)
p1, p2 = padder.pad(image1, image2)
with torch.no_grad():
    flow_low, flow_up = model(p1, p2, iters=20, test_mode=True)
print('raft: finite', bool(torch.isfinite(flow_up).all()), 'mean |flow_up|', flow_up.abs().mean().item(),
      'mean flow', flow_up.mean(dim=(0, 2, 3)).tolist(), flush=True)

tensors = {'image1': image1, 'image2': image2, 'flow_low': flow_low, 'flow_up': flow_up}
header, blobs, offset = {}, [], 0
for name, t in tensors.items():
    raw = t.detach().contiguous().float().numpy().tobytes()
    header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
    blobs.append(raw)
    offset += len(raw)
header['__metadata__'] = {'reference': 'VBench third_party/RAFT/core/raft.py RAFT (not small), eval, float32 CPU, '
                                       'torch ' + torch.__version__,
                          'weights': 'shared fixtures/metrics/raft/raft-things.pth', 'iters': '20',
                          'test_mode': 'True', 'padding': 'InputPadder sintel (none needed at 128x160)'}
h = json.dumps(header).encode()
h += b' ' * ((8 - len(h) % 8) % 8)
with open(out_file, 'wb') as f:
    f.write(struct.pack('<Q', len(h)))
    f.write(h)
    for b in blobs:
        f.write(b)
print('raft done', {k: list(v.shape) for k, v in tensors.items()}, flush=True)
