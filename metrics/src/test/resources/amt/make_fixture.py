"""Makes the AMT-S parity fixture for AmtParityTest (amt-s.pth, golden.safetensors, golden.json).

Runs VBench's own AMT-S code (vbench/third_party/amt, not part of this repository) in float32 on
CPU with random weights, on random frames, exactly as vbench/motion_smoothness.py does on CPU:
even frames are the inputs, each adjacent pair is interpolated at t = 1/2 with scale_factor 1,
frames are padded (replicate) to multiples of 16 and unpadded afterwards, and the score is
(255 - mean |odd frame - interpolated frame|) / 255.

    python3 make_fixture.py <dir holding vbench/third_party/amt> <output dir>

The weights are saved as the published amt-s.pth is laid out (the AMT trainer's torch.save of
{'epoch', 'state_dict', 'optim'}); VBench loads ckpt['state_dict'].
"""
import importlib
import json
import os
import struct
import sys
import types

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ref_root, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
sys.path.insert(0, ref_root)
try:
    import imageio  # noqa: F401  (utils.py imports it for file readers the interpolation never uses)
except ImportError:
    stub = types.ModuleType('imageio')
    stub.imread = stub.imwrite = None
    sys.modules['imageio'] = stub

torch.manual_seed(0)
np.random.seed(0)
torch.set_num_threads(4)

amt_s = importlib.import_module('vbench.third_party.amt.networks.AMT-S')
from vbench.third_party.amt.utils.utils import img2tensor, tensor2img, check_dim_and_resize, InputPadder  # noqa: E402

# AMT-S.yaml: corr_radius 3, corr_lvls 4, num_flows 3
model = amt_s.Model(corr_radius=3, corr_lvls=4, num_flows=3).eval()
for m in model.modules():
    if isinstance(m, nn.PReLU):  # default is 0.25 everywhere: make the per-channel slopes differ
        with torch.no_grad():
            m.weight.uniform_(0.05, 0.5)
n_params = sum(p.numel() for p in model.parameters())

# ---- frames: a smooth random texture moving a few pixels per frame, plus noise (uint8 RGB HWC)
T, H, W = 5, 120, 150
base = F.interpolate(torch.rand(1, 3, 20, 24) * 255, size=(H + 40, W + 40), mode='bicubic',
                     align_corners=False)[0].permute(1, 2, 0).numpy()
frames = []
for t in range(T):
    dy, dx = 20 + 2 * t, 20 - 3 * t
    f = base[dy:dy + H, dx:dx + W] + np.random.randn(H, W, 3) * 6
    frames.append(np.clip(np.round(f), 0, 255).astype(np.uint8))

embt = torch.tensor(1 / 2).float().view(1, 1, 1, 1)


def prepare(frames):
    # motion_smoothness.py MotionSmoothness.motion_score on CPU: scale 1, padding 16
    frame_list = frames[0::2]
    inputs = [img2tensor(frame) for frame in frame_list]
    inputs = check_dim_and_resize(inputs)
    padder = InputPadder(inputs[0].shape, 16)
    return padder, padder.pad(*inputs)


padder, inputs = prepare(frames)

# Random weights give sub-pixel flows; scale the layers that emit flow so the warps move pixels
# (and the fixture exercises sampling between and beyond pixels). Chosen once, saved as weights.
captured = {}


def hook(name):
    def fn(module, args, out):
        if name not in captured:
            captured[name] = [o.detach().clone() for o in (out if isinstance(out, (tuple, list)) else [out])]
    return fn


def flow_scale_layers():
    layers = [model.decoder4.convblock[2], model.decoder3.convblock[2], model.decoder2.convblock[2],
              model.decoder1.convblock[2]]
    return layers


chosen = 1.0
for s in [1.0, 2.0, 4.0, 8.0]:
    if s != 1.0:
        with torch.no_grad():
            for layer in flow_scale_layers():
                layer.weight.mul_(s / chosen)
                layer.bias.mul_(s / chosen)
        chosen = s
    captured.clear()
    h = model.decoder1.register_forward_hook(hook('decoder1'))
    with torch.no_grad():
        model(inputs[0], inputs[1], embt, scale_factor=1.0, eval=True)
    h.remove()
    mean_flow = captured['decoder1'][0].abs().mean().item()
    print(f'flow scale {s}: mean |flow0| at full resolution {mean_flow:.3f} px', flush=True)
    if mean_flow >= 1.5:
        break

# ---- the reference run, with intermediates of the first pair for debugging a port
captured.clear()
hooks = [getattr(model, n).register_forward_hook(hook(n)) for n in
         ['feat_encoder', 'decoder4', 'update4', 'decoder3', 'update3', 'decoder2', 'update2', 'decoder1',
          'comb_block']]
outputs = [inputs[0]]
preds = []
for in_0, in_1 in zip(inputs[:-1], inputs[1:]):
    with torch.no_grad():
        imgt_pred = model(in_0, in_1, embt, scale_factor=1.0, eval=True)['imgt_pred']
    if not preds:
        for hk in hooks:
            hk.remove()
    preds.append(imgt_pred)
    outputs += [imgt_pred.cpu(), in_1.cpu()]
outputs = padder.unpad(*outputs)
outputs = [tensor2img(out) for out in outputs]

# motion_smoothness.py vfi_score / get_diff (cv2.absdiff of uint8 images, then np.mean)
ori = frames[1::2]
interp = outputs[1::2]
diffs = [float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16)))) for a, b in zip(ori, interp)]
vfi = float(np.mean(np.array(diffs)))
score = (255.0 - vfi) / 255.0
print('diffs', diffs, 'score', score, flush=True)

# ---- weights in the trainer's layout
sd = model.state_dict()
ckpt = {'epoch': 0, 'state_dict': sd,
        'optim': {'state': {}, 'param_groups': [{'lr': 2e-4, 'weight_decay': 0.0,
                                                 'params': list(range(len(sd)))}]}}
torch.save(ckpt, os.path.join(out_dir, 'amt-s.pth'))

# ---- golden tensors (safetensors written by hand: 8-byte header length, JSON header, raw bytes)
tensors = {
    'frames': torch.from_numpy(np.stack(frames)),                  # (T, H, W, 3) uint8
    'imgt_pred': torch.cat(preds, 0),                                # (pairs, 3, 128, 160) clamped 0..1
    'interpolated': torch.from_numpy(np.stack(interp)),            # (pairs, H, W, 3) uint8 (tensor2img)
    'diffs': torch.tensor(diffs, dtype=torch.float64),
    'score': torch.tensor([score], dtype=torch.float64),
}
names = {'feat_encoder': ['fmap0', 'fmap1'], 'decoder4': ['flow0', 'flow1', 'ft'],
         'update4': ['delta_ft', 'delta_flow'], 'decoder3': ['flow0', 'flow1', 'ft'],
         'update3': ['delta_ft', 'delta_flow'], 'decoder2': ['flow0', 'flow1', 'ft'],
         'update2': ['delta_ft', 'delta_flow'], 'decoder1': ['flow0', 'flow1', 'mask', 'img_res'],
         'comb_block': ['out']}
# intermediates kept small (the weights file is most of the fixture's size)
keep = {'feat_encoder.fmap0', 'feat_encoder.fmap1', 'decoder4.flow0', 'decoder4.flow1', 'decoder4.ft',
        'update4.delta_ft', 'update4.delta_flow', 'decoder3.flow0', 'decoder3.flow1', 'update3.delta_flow',
        'decoder2.flow0', 'decoder2.flow1', 'update2.delta_flow', 'decoder1.flow0', 'decoder1.mask'}
for module, outs in captured.items():
    for i, o in enumerate(outs):
        if f'{module}.{names[module][i]}' in keep:
            tensors[f'pair0.{module}.{names[module][i]}'] = o


def save_safetensors(path, tensors):
    dtypes = {torch.float32: 'F32', torch.float64: 'F64', torch.uint8: 'U8'}
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.numpy().tobytes()
        header[name] = {'dtype': dtypes[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


save_safetensors(os.path.join(out_dir, 'golden.safetensors'), tensors)
with open(os.path.join(out_dir, 'golden.json'), 'w') as f:
    json.dump({'reference': 'VBench vbench/third_party/amt/networks/AMT-S.py Model(corr_radius=3, corr_lvls=4, '
                            'num_flows=3), eval, float32 CPU, torch ' + torch.__version__,
               'procedure': 'vbench/motion_smoothness.py on CPU: even frames in, embt=0.5, scale_factor=1, '
                            'InputPadder divisor 16, tensor2img, score=(255-mean absdiff)/255',
               'params': n_params, 'flow_layer_scale': chosen, 'frames': [T, H, W, 3],
               'score': score, 'diffs': diffs,
               'tensors': {k: list(v.shape) for k, v in tensors.items()}}, f, indent=1)
print('amt done: params', n_params, 'tensors', {k: list(v.shape) for k, v in tensors.items()}, flush=True)
