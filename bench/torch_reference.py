"""PyTorch eager reference for `qvgen profile`: the same transformer forward, timed the same way.

diffusers is not installed on the benchmark machine, so this file builds the two transformers
itself with plain torch.nn, op for op as diffusers' WanTransformer3DModel and
CogVideoXTransformer3DModel (text-to-video, as published) run them, including diffusers' float32
islands (Wan's FP32LayerNorm and float32 modulation, RoPE in float32, CogVideoX's float32 RoPE).
Position tables (Wan's RoPE grid, CogVideoX's sin-cos table) are made once per size and kept on
the GPU, as diffusers keeps them as buffers.
Attention is F.scaled_dot_product_attention, as in diffusers' default processors. Weights are
random (initialisation does not change the cost); the configs are the published ones.

Timing: median of --runs warm forwards under torch.inference_mode(), each followed by
torch.cuda.synchronize(); peak memory is torch.cuda.max_memory_allocated / max_memory_reserved
over the timed runs.

    python3 bench/torch_reference.py --model wan2.1-t2v-1.3b --dtype bf16 fp16 --out ref.json
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------- common


def sinusoid(t, dim, flip_sin_to_cos, shift):
    half = dim // 2
    exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device)
    exponent = exponent / (half - shift)
    args = t[:, None].float() * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    return emb


class FeedForward(nn.Module):
    """diffusers FeedForward(dim, inner, activation_fn='gelu-approximate')."""

    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner)
        self.out = nn.Linear(inner, dim)

    def forward(self, x):
        return self.out(F.gelu(self.proj(x), approximate="tanh"))


# ------------------------------------------------------------------------------------------- Wan


class FP32LayerNorm(nn.LayerNorm):
    def forward(self, x):
        dt = x.dtype
        return F.layer_norm(x.float(), self.normalized_shape,
                            self.weight.float() if self.weight is not None else None,
                            self.bias.float() if self.bias is not None else None, self.eps).to(dt)


def wan_rope_tables(head_dim, f, h, w, device, theta=10000.0, max_len=1024):
    h_dim = w_dim = 2 * (head_dim // 6)
    t_dim = head_dim - h_dim - w_dim
    cos_parts, sin_parts = [], []
    for dim in (t_dim, h_dim, w_dim):
        freqs = 1.0 / theta ** (torch.arange(0, dim, 2, dtype=torch.float64)[: dim // 2] / dim)
        ang = torch.outer(torch.arange(max_len, dtype=torch.float64), freqs)
        cos_parts.append(ang.cos().repeat_interleave(2, dim=1).float())
        sin_parts.append(ang.sin().repeat_interleave(2, dim=1).float())

    def grid(parts):
        t = parts[0][:f].view(f, 1, 1, -1).expand(f, h, w, -1)
        hh = parts[1][:h].view(1, h, 1, -1).expand(f, h, w, -1)
        ww = parts[2][:w].view(1, 1, w, -1).expand(f, h, w, -1)
        return torch.cat([t, hh, ww], dim=-1).reshape(1, f * h * w, 1, -1).to(device)

    return grid(cos_parts), grid(sin_parts)


def wan_apply_rope(x, cos, sin):
    # diffusers WanAttnProcessor.apply_rotary_emb: float32 tables, the products written straight
    # into a tensor of x's type (an earlier version wrote a float32 buffer and cast it back: two
    # more passes over q and k per block)
    x1, x2 = x.unflatten(-1, (-1, 2)).unbind(-1)
    c = cos[..., 0::2]
    s = sin[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = x1 * c - x2 * s
    out[..., 1::2] = x1 * s + x2 * c
    return out.type_as(x)


class WanAttention(nn.Module):
    def __init__(self, dim, heads, eps):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim)
        self.to_k = nn.Linear(dim, dim)
        self.to_v = nn.Linear(dim, dim)
        self.to_out = nn.Linear(dim, dim)
        self.norm_q = nn.RMSNorm(dim, eps=eps)
        self.norm_k = nn.RMSNorm(dim, eps=eps)

    def forward(self, x, context=None, rope=None):
        kv = x if context is None else context
        q = self.norm_q(self.to_q(x)).unflatten(2, (self.heads, -1))
        k = self.norm_k(self.to_k(kv)).unflatten(2, (self.heads, -1))
        v = self.to_v(kv).unflatten(2, (self.heads, -1))
        if rope is not None:
            q = wan_apply_rope(q, *rope)
            k = wan_apply_rope(k, *rope)
        o = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return self.to_out(o.transpose(1, 2).flatten(2, 3).type_as(q))


class WanBlock(nn.Module):
    def __init__(self, dim, ffn, heads, eps):
        super().__init__()
        self.norm1 = FP32LayerNorm(dim, eps, elementwise_affine=False)
        self.attn1 = WanAttention(dim, heads, eps)
        self.attn2 = WanAttention(dim, heads, eps)
        self.norm2 = FP32LayerNorm(dim, eps, elementwise_affine=True)
        self.ffn = FeedForward(dim, ffn)
        self.norm3 = FP32LayerNorm(dim, eps, elementwise_affine=False)
        self.scale_shift_table = nn.Parameter(torch.randn(1, 6, dim) / dim ** 0.5)

    def forward(self, x, context, temb, rope):
        shift, scale, gate, c_shift, c_scale, c_gate = (self.scale_shift_table + temb.float()).chunk(6, dim=1)
        h = (self.norm1(x.float()) * (1 + scale) + shift).type_as(x)
        x = (x.float() + self.attn1(h, None, rope) * gate).type_as(x)
        h = self.norm2(x.float()).type_as(x)
        x = x + self.attn2(h, context)
        h = (self.norm3(x.float()) * (1 + c_scale) + c_shift).type_as(x)
        x = (x.float() + self.ffn(h).float() * c_gate).type_as(x)
        return x


class Wan(nn.Module):
    """WanTransformer3DModel (Wan2.1 T2V 1.3B config)."""

    def __init__(self, layers=30, heads=12, head_dim=128, ffn=8960, text_dim=4096, freq_dim=256, cin=16, eps=1e-6):
        super().__init__()
        dim = heads * head_dim
        self.heads, self.head_dim, self.freq_dim = heads, head_dim, freq_dim
        self.patch_embedding = nn.Conv3d(cin, dim, (1, 2, 2), (1, 2, 2))
        self.time_1 = nn.Linear(freq_dim, dim)
        self.time_2 = nn.Linear(dim, dim)
        self.time_proj = nn.Linear(dim, 6 * dim)
        self.text_1 = nn.Linear(text_dim, dim)
        self.text_2 = nn.Linear(dim, dim)
        self.blocks = nn.ModuleList([WanBlock(dim, ffn, heads, eps) for _ in range(layers)])
        self.norm_out = FP32LayerNorm(dim, eps, elementwise_affine=False)
        self.proj_out = nn.Linear(dim, cin * 4)
        self.scale_shift_table = nn.Parameter(torch.randn(1, 2, dim) / dim ** 0.5)

    def forward(self, latents, t, text):
        b, c, f, h, w = latents.shape
        pf, ph, pw = f, h // 2, w // 2
        # diffusers precomputes the RoPE frequencies as buffers; the per-size table is cached here,
        # as `qvgen profile` caches it (TableCache), so neither side times host-side table building
        key = (pf, ph, pw, str(latents.device))
        if getattr(self, "_rope_key", None) != key:
            self._rope, self._rope_key = wan_rope_tables(self.head_dim, pf, ph, pw, latents.device), key
        rope = self._rope
        x = self.patch_embedding(latents).flatten(2).transpose(1, 2)
        s = sinusoid(t, self.freq_dim, True, 0).type_as(text)
        temb = self.time_2(F.silu(self.time_1(s)))
        tproj = self.time_proj(F.silu(temb)).unflatten(1, (6, -1))
        context = self.text_2(F.gelu(self.text_1(text), approximate="tanh"))
        for blk in self.blocks:
            x = blk(x, context, tproj, rope)
        shift, scale = (self.scale_shift_table + temb.unsqueeze(1)).chunk(2, dim=1)
        x = (self.norm_out(x.float()) * (1 + scale) + shift).type_as(x)
        x = self.proj_out(x)
        x = x.reshape(b, pf, ph, pw, 1, 2, 2, c).permute(0, 7, 1, 4, 2, 5, 3, 6)
        return x.reshape(b, c, f, h, w)


# -------------------------------------------------------------------------------------- CogVideoX


def sincos_3d(dim, f, h, w, spatial_scale=1.875, temporal_scale=1.0):
    def one_d(d, pos):
        omega = 1.0 / 10000 ** (torch.arange(d // 2, dtype=torch.float64) / (d / 2.0))
        out = torch.outer(pos.reshape(-1).double(), omega)
        return torch.cat([out.sin(), out.cos()], dim=1)

    ds = dim // 4 * 3
    dt = dim // 4
    gh = torch.arange(h, dtype=torch.float64) / spatial_scale
    gw = torch.arange(w, dtype=torch.float64) / spatial_scale
    gw_, gh_ = torch.meshgrid(gw, gh, indexing="xy")
    spatial = torch.cat([one_d(ds // 2, gw_), one_d(ds // 2, gh_)], dim=1)  # (h*w, ds)
    temporal = one_d(dt, torch.arange(f, dtype=torch.float64) / temporal_scale)  # (f, dt)
    spatial = spatial[None].expand(f, -1, -1)
    temporal = temporal[:, None].expand(-1, h * w, -1)
    return torch.cat([temporal, spatial], dim=-1).reshape(1, f * h * w, dim).float()


class CogLayerNormZero(nn.Module):
    def __init__(self, cond, dim, eps):
        super().__init__()
        self.linear = nn.Linear(cond, 6 * dim)
        self.norm = nn.LayerNorm(dim, eps=eps)

    def forward(self, x, enc, temb):
        shift, scale, gate, e_shift, e_scale, e_gate = self.linear(F.silu(temb)).chunk(6, dim=1)
        x = self.norm(x) * (1 + scale)[:, None] + shift[:, None]
        enc = self.norm(enc) * (1 + e_scale)[:, None] + e_shift[:, None]
        return x, enc, gate[:, None], e_gate[:, None]


class CogAttention(nn.Module):
    def __init__(self, dim, heads, head_dim):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, heads * head_dim)
        self.to_k = nn.Linear(dim, heads * head_dim)
        self.to_v = nn.Linear(dim, heads * head_dim)
        self.norm_q = nn.LayerNorm(head_dim, eps=1e-6)
        self.norm_k = nn.LayerNorm(head_dim, eps=1e-6)
        self.to_out = nn.Linear(heads * head_dim, dim)

    def forward(self, x, enc):
        lt = enc.shape[1]
        h = torch.cat([enc, x], dim=1)
        b = h.shape[0]
        q = self.norm_q(self.to_q(h).view(b, -1, self.heads, 64).transpose(1, 2))
        k = self.norm_k(self.to_k(h).view(b, -1, self.heads, 64).transpose(1, 2))
        v = self.to_v(h).view(b, -1, self.heads, 64).transpose(1, 2)
        o = F.scaled_dot_product_attention(q, k, v)
        o = self.to_out(o.transpose(1, 2).reshape(b, -1, self.heads * 64))
        return o[:, lt:], o[:, :lt]


class CogBlock(nn.Module):
    def __init__(self, dim, heads, cond, eps=1e-5):
        super().__init__()
        self.norm1 = CogLayerNormZero(cond, dim, eps)
        self.attn1 = CogAttention(dim, heads, 64)
        self.norm2 = CogLayerNormZero(cond, dim, eps)
        self.ff = FeedForward(dim, 4 * dim)

    def forward(self, x, enc, temb):
        lt = enc.shape[1]
        nx, ne, g, eg = self.norm1(x, enc, temb)
        ax, ae = self.attn1(nx, ne)
        x = x + g * ax
        enc = enc + eg * ae
        nx, ne, g, eg = self.norm2(x, enc, temb)
        ff = self.ff(torch.cat([ne, nx], dim=1))
        x = x + g * ff[:, lt:]
        enc = enc + eg * ff[:, :lt]
        return x, enc


class Cog(nn.Module):
    """CogVideoXTransformer3DModel (CogVideoX-2B config: 30 layers, 30 heads x 64, sin-cos positions)."""

    def __init__(self, layers=30, heads=30, cin=16, text_dim=4096, cond=512, eps=1e-5):
        super().__init__()
        dim = heads * 64
        self.dim = dim
        self.proj = nn.Conv2d(cin, dim, 2, 2)
        self.text_proj = nn.Linear(text_dim, dim)
        self.time_1 = nn.Linear(dim, cond)
        self.time_2 = nn.Linear(cond, cond)
        self.blocks = nn.ModuleList([CogBlock(dim, heads, cond, eps) for _ in range(layers)])
        self.norm_final = nn.LayerNorm(dim, eps=eps)
        self.norm_out_linear = nn.Linear(cond, 2 * dim)
        self.norm_out = nn.LayerNorm(dim, eps=eps)
        self.proj_out = nn.Linear(dim, 4 * cin)

    def forward(self, latents, t, text):
        b, f, c, h, w = latents.shape
        s = sinusoid(t, self.dim, True, 0).to(latents.dtype)
        temb = self.time_2(F.silu(self.time_1(s)))
        enc = self.text_proj(text)
        x = self.proj(latents.reshape(-1, c, h, w))
        x = x.view(b, f, *x.shape[1:]).flatten(3).transpose(2, 3).flatten(1, 2)
        # diffusers keeps the sin-cos table as a buffer made at init for the published size
        # (CogVideoXPatchEmbed.pos_embedding); rebuilding it in float64 on the host every forward
        # took about 70 ms, so it is cached per size here, as `qvgen profile` caches its own
        key = (f, h, w, str(x.device), x.dtype)
        if getattr(self, "_pos_key", None) != key:
            self._pos = sincos_3d(self.dim, f, h // 2, w // 2).to(device=x.device, dtype=x.dtype)
            self._pos_key = key
        x = x + self._pos
        for blk in self.blocks:
            x, enc = blk(x, enc, temb)
        x = self.norm_final(x)
        shift, scale = self.norm_out_linear(F.silu(temb)).chunk(2, dim=1)
        x = self.norm_out(x) * (1 + scale)[:, None, :] + shift[:, None, :]
        x = self.proj_out(x)
        x = x.reshape(b, f, h // 2, w // 2, -1, 2, 2).permute(0, 1, 4, 2, 5, 3, 6)
        return x.flatten(5, 6).flatten(3, 4)


# --------------------------------------------------------------------------------------- timing

MODELS = {
    # name: (builder, latent shape (B excluded), text tokens, video tokens)
    "wan2.1-t2v-1.3b": (Wan, (16, 21, 60, 104), 512),
    "cogvideox-2b": (Cog, (13, 16, 60, 90), 226),
}


def run(name, dtype, runs, warmup, batch, layers):
    builder, shape, text_len = MODELS[name]
    torch.manual_seed(0)
    kwargs = {} if layers is None else {"layers": layers}
    model = builder(**kwargs).to(device="cuda", dtype=dtype).eval()
    params = sum(p.numel() for p in model.parameters())
    latents = torch.randn(batch, *shape, device="cuda", dtype=dtype)
    t = torch.full((batch,), 500.0, device="cuda")
    text = torch.randn(batch, text_len, 4096, device="cuda", dtype=dtype)
    times = []
    with torch.inference_mode():
        for i in range(warmup + runs):
            if i == warmup:
                torch.cuda.reset_peak_memory_stats()
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = model(latents, t, text)
            torch.cuda.synchronize()
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1e3)
        finite = bool(torch.isfinite(out).all())
    res = {
        "model": name, "dtype": str(dtype).replace("torch.", ""), "batch": batch, "params": params,
        "out_shape": list(out.shape), "median_ms": statistics.median(times), "min_ms": min(times), "runs": runs,
        "max_memory_allocated": torch.cuda.max_memory_allocated(),
        "max_memory_reserved": torch.cuda.max_memory_reserved(), "finite": finite,
        "torch": torch.__version__, "gpu": torch.cuda.get_device_name(),
    }
    del model, out
    torch.cuda.empty_cache()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", nargs="+", default=list(MODELS))
    ap.add_argument("--dtype", nargs="+", default=["bf16", "fp16"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--layers", type=int, default=None)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    types = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
    results = []
    for m in a.model:
        for d in a.dtype:
            r = run(m, types[d], a.runs, a.warmup, a.batch, a.layers)
            print(json.dumps(r), flush=True)
            results.append(r)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
