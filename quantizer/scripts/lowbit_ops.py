"""Builds and loads the qvgen_lowbit CUDA ops, and the PyTorch definitions of the real low-bit linear.

Shared by quantizer/scripts/make_lowbit_modules.py (the TorchScript modules DJL loads) and
bench/lowbit_reference.py (timings and exactness). The ops' source is
quantizer/src/main/native/qvgen_lowbit.cu; it is compiled on the GPU machine against the installed
torch (nvcc, ninja), never committed as a binary:

    python3 quantizer/scripts/lowbit_ops.py --build DIR     # writes DIR/libqvgen_lowbit.so

DJL loads the library before its first module when PYTORCH_EXTRA_LIBRARY_PATH names it.

Semantics of the real path (the layout is LowBitLayout.java's):
  activation  x_hat = s_x (c + d)       c integer codes (FP8 e4m3 or int8), d per token
  weight      W_hat = s_w (e - f)       e integer codes, f the fractional zero point per channel
  y = s_x s_w (c . e) + u @ v + bias    u = [s_x d, -s_x (sum c + K d)], v = [s_w rowsum(e); s_w f]
so y equals the simulated (fake-quantized) product up to the output's rounding. The correction runs
in float32 on the GEMM's rounded output (correct_rows_): on every token when f != 0, else only on the
tokens with d != 0 (a token whose range excludes 0), found on the device.
"""
import argparse
import os
import shutil
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "src", "main", "native", "qvgen_lowbit.cu")
LIB_NAME = "libqvgen_lowbit.so"


def build(out_dir, verbose=False):
    """Compiles the ops for sm_90 into out_dir/libqvgen_lowbit.so and returns its path."""
    from torch.utils.cpp_extension import load
    os.makedirs(out_dir, exist_ok=True)
    build_dir = os.path.join(out_dir, "build")
    os.makedirs(build_dir, exist_ok=True)
    load(name="qvgen_lowbit", sources=[SOURCE], build_directory=build_dir, is_python_module=False,
         extra_cuda_cflags=["-O3", "-gencode=arch=compute_90,code=sm_90"], verbose=verbose)
    so = os.path.join(build_dir, "qvgen_lowbit.so")
    dst = os.path.join(out_dir, LIB_NAME)
    shutil.copyfile(so, dst)
    return dst


def load_library(path):
    torch.ops.load_library(path)
    return torch.ops.qvgen_lowbit


# ------------------------------------------------------------------ the simulated path, as Java runs it


def sim_act(x, bits):
    """UniformQuantizer.activationPerToken in x's dtype, op for op."""
    levels = float(2 ** bits - 1)
    mn = x.amin(-1, keepdim=True)
    mx = x.amax(-1, keepdim=True)
    rng = mx - mn
    scale = torch.maximum(rng / torch.full_like(rng, levels), torch.full_like(rng, 1e-8))
    zero = (-mn / scale).round()
    return ((x / scale).round() + zero).clamp(0, levels).sub(zero).mul(scale), scale, zero


def sim_act_codes(x, bits):
    """The integers (q - z) the simulated activation multiplies by its scale."""
    levels = float(2 ** bits - 1)
    _, scale, zero = sim_act(x, bits)
    q = ((x / scale).round() + zero).clamp(0, levels)
    return q.float() - zero.float(), scale


def sim_weight(w, bits):
    """UniformQuantizer.weightPerChannel (symmetric, per output channel) in w's dtype: codes, scale."""
    qmax = float(2 ** (bits - 1) - 1)
    qmin = -float(2 ** (bits - 1))
    scale = torch.maximum(w.abs().amax(1, keepdim=True) / qmax, torch.full_like(w[:, :1], 1e-8))
    codes = (w / scale).round().clamp(qmin, qmax)
    return codes, scale


def act_quant_torch(x, bits, int8_codes):
    """Eager equivalent of qvgen_lowbit::act_quant (dynamic quantizer): (codes as float, s_x, u)."""
    levels = float(2 ** bits - 1)
    k = x.shape[-1]
    x2 = x.reshape(-1, k)
    _, scale, zero = sim_act(x2, bits)
    q = ((x2 / scale).round() + zero).clamp(0, levels).float()
    z = zero.float()
    max_abs = 127 if int8_codes else 16
    o = z.clamp(0, levels) if levels <= max_abs else torch.full_like(z, float(2 ** (bits - 1)))
    c = q - o
    d = o - z
    s = scale.float()
    u = torch.cat([s * d, -s * (c.sum(-1, keepdim=True) + k * d)], dim=1)
    return c, s, u


# ------------------------------------------------------------------------------- the real linear


class LowBitWeight:
    """A linear layer's weight in the real layout (FP8 or int8 codes, optionally packed 4-bit)."""

    def __init__(self, codes, scale, frac, bias, kind, packed, device):
        # codes (N, K) integers e, scale (N,) s_w, frac (N,) f: W_hat = s_w (e - f)
        n, k = codes.shape
        self.kind, self.packed, self.n, self.k = kind, packed, n, k
        e = codes.to(torch.int32)
        self.offset = None
        if packed:
            # nibbles q = e + offset with offset = -min(e) per row, as LowBitLayout.packed4 stores them
            off = (-e.min(1).values).clamp(min=0)
            q = (e + off[:, None]).to(torch.uint8)
            assert int(q.max()) <= 15, "packed 4-bit needs codes spanning at most 16 values per row"
            self.w = (q[:, 0::2] | (q[:, 1::2] << 4)).contiguous().to(device)
            self.offset = off.to(torch.int32).to(device)
        else:
            self.w = (e.to(torch.int8).to(device).to(torch.float8_e4m3fn) if kind == "fp8"
                      else e.to(torch.int8).to(device))
        self.sw = scale.float().reshape(1, n).to(device)
        rowsum = e.sum(1).float()
        self.v = torch.stack([scale.float() * rowsum, scale.float() * frac.float()]).to(device)
        self.has_frac = bool((frac != 0).any())
        self.bias = bias

    def weight_bytes(self):
        return self.w.numel() * self.w.element_size() + 4 * self.n * (2 if self.has_frac else 1)


def real_linear(ops, x, lw: LowBitWeight, bits, correct=True):
    k = x.shape[-1]
    x2 = x.reshape(-1, k)
    m = x2.shape[0]
    int8 = lw.kind == "int8"
    empty = torch.empty(0, device=x.device)
    codes, sx, u = ops.act_quant(x2, bits, empty, empty, int8)
    w = ops.unpack4(lw.w, lw.offset, int8) if lw.packed else lw.w
    if m < 17:  # cuBLASLt int8 wants M > 16; FP8 is padded alike for one code path
        pad = 17 - m
        codes = torch.cat([codes, torch.zeros(pad, k, device=x.device, dtype=codes.dtype)]) if not int8 else \
            torch.cat([codes, torch.zeros(pad, k, device=x.device, dtype=torch.int8)])
        sx = torch.cat([sx, torch.ones(pad, 1, device=x.device)])
        u = torch.cat([u, torch.zeros(pad, 2, device=x.device)])
    if int8:
        acc = torch._int_mm(codes, w.t())
        y = ops.int8_epilogue(acc, sx, lw.sw, u if correct else empty, lw.v, lw.bias if lw.bias is not None else empty,
                              x.dtype)
    else:
        y = torch._scaled_mm(codes, w.t(), scale_a=sx, scale_b=lw.sw, bias=lw.bias, out_dtype=x.dtype,
                             use_fast_accum=False)
        if correct:
            # only the tokens with d != 0 unless the weight has a fractional zero point (every token)
            ops.correct_rows_(y, u, lw.v, 2 if lw.has_frac else 1)
    if y.shape[0] != m:
        y = y[:m]
    return y.reshape(*x.shape[:-1], lw.n)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, help="output folder for libqvgen_lowbit.so")
    a = ap.parse_args()
    print(build(a.build, verbose=True))
    sys.exit(0)
