"""Cost on CUDA of the ops that DJL 0.36 cannot call as one kernel, spelled as DJL spells them
versus PyTorch's fused op, at Wan2.1-1.3B's published size (480x832x81 frames: 32760 tokens,
dim 1536, FFN 8960) in float16. Explains the gap between `qvgen profile` and bench/torch_reference.py.

    python3 bench/op_costs.py --out op_costs.json
"""
import argparse
import json
import statistics

import torch
import torch.nn.functional as F


def timed(fn, runs=20):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    ms = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        ms.append(a.elapsed_time(b))
    return statistics.median(ms)


def gelu_as_djl(x):
    # dev.qvgen.models.nn.Activations.geluTanh: one kernel per op
    inner = (x + x * x * x * 0.044715) * (2 / torch.pi) ** 0.5
    return x * 0.5 * (inner.tanh() + 1)


def rms_as_djl(x, w, eps=1e-6):
    return x / (x.square().mean(-1, keepdim=True) + eps).sqrt() * w


def wan_rope_as_djl(x, cos, sin):
    # dev.qvgen.models.wan.WanRotaryPosEmbed.apply: cast to float32, rotate, stack, cast back
    xf = x.float()
    pairs = xf.reshape(*x.shape[:-1], -1, 2)
    x1, x2 = pairs[..., 0], pairs[..., 1]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1).reshape(x.shape).to(x.dtype)


def wan_rope_diffusers(x, cos, sin):
    x1, x2 = x.unflatten(-1, (-1, 2)).unbind(-1)
    out = torch.empty_like(x, dtype=torch.float32)
    out[..., 0::2] = x1 * cos - x2 * sin
    out[..., 1::2] = x1 * sin + x2 * cos
    return out.type_as(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="op_costs.json")
    args = ap.parse_args()
    torch.manual_seed(0)
    h = torch.float16
    tokens, dim, ffn, heads = 32760, 1536, 8960, 12
    f = torch.randn(1, tokens, ffn, device="cuda", dtype=h)
    q = torch.randn(1, tokens, dim, device="cuda", dtype=h)
    w = torch.randn(dim, device="cuda", dtype=h)
    qh = q.view(1, tokens, heads, dim // heads)
    cos = torch.randn(tokens, 1, dim // heads // 2, device="cuda")
    sin = torch.randn(tokens, 1, dim // heads // 2, device="cuda")
    res = {"gpu": torch.cuda.get_device_name(), "torch": torch.__version__, "ms": {
        "gelu_tanh_djl_ops": timed(lambda: gelu_as_djl(f)),
        "gelu_tanh_fused": timed(lambda: F.gelu(f, approximate="tanh")),
        "rms_norm_djl_ops": timed(lambda: rms_as_djl(q, w)),
        "rms_norm_fused": timed(lambda: F.rms_norm(q, [dim], w, 1e-6)),
        "wan_rope_djl_ops": timed(lambda: wan_rope_as_djl(qh, cos, sin)),
        "wan_rope_diffusers": timed(lambda: wan_rope_diffusers(qh, cos, sin)),
    }}
    # per forward: 30 blocks, one GELU and two RMS norms (q, k) in each; RoPE is listed for
    # comparison only (the DJL spelling costs what diffusers' does, so it was not replaced)
    m = res["ms"]
    res["per_forward_saving_ms"] = 30 * ((m["gelu_tanh_djl_ops"] - m["gelu_tanh_fused"])
                                         + 2 * (m["rms_norm_djl_ops"] - m["rms_norm_fused"]))
    print(json.dumps(res, indent=1))
    with open(args.out, "w") as fh:
        json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
