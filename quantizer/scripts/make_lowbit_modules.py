"""Writes the TorchScript modules that dev.qvgen.quantizer.deploy.LowBitLinearKernel runs on CUDA.

DJL reaches a torch op only through a TorchScript module. These call the qvgen_lowbit ops
(quantizer/src/main/native/qvgen_lowbit.cu, built by lowbit_ops.py) and torch._scaled_mm /
torch._int_mm, so the library must be loaded both here and in the JVM (PYTORCH_EXTRA_LIBRARY_PATH).
Made on the GPU machine with its torch (2.11); checked against the eager definition in
lowbit_ops.py after a reload.

    python3 quantizer/scripts/make_lowbit_modules.py --lib DIR/libqvgen_lowbit.so \
        --out quantizer/src/main/resources/dev/qvgen/quantizer/deploy
"""
import argparse
import os
from typing import Optional, Tuple

import torch

import lowbit_ops


def _matmul(x: torch.Tensor, codes: torch.Tensor, sx: torch.Tensor, u: torch.Tensor, w: torch.Tensor,
            woff: torch.Tensor, sw: torch.Tensor, bias: torch.Tensor, v: torch.Tensor,
            cfg: torch.Tensor) -> torch.Tensor:
    """The product of act_quant's codes of x (M, K) with the weight codes; x gives the shape and type."""
    int8 = bool(cfg[1] != 0)
    packed = bool(cfg[2] != 0)
    correct = int(cfg[3])  # 0 none, 1 tokens with d != 0, 2 every token (fractional weight zero point)
    k = x.size(-1)
    m = codes.size(0)
    wq = torch.ops.qvgen_lowbit.unpack4(w, woff, int8) if packed else w
    if m < 17:
        # cuBLASLt's int8 GEMM wants more than 16 rows; the FP8 one is padded alike
        pad = 17 - m
        codes = torch.cat([codes, torch.zeros([pad, k], device=x.device, dtype=codes.dtype)])
        sx = torch.cat([sx, torch.ones([pad, 1], device=x.device, dtype=sx.dtype)])
        u = torch.cat([u, torch.zeros([pad, 2], device=x.device, dtype=u.dtype)])
    b: Optional[torch.Tensor] = None
    if bias.numel() > 0:
        b = bias
    if int8:
        acc = torch._int_mm(codes, wq.t())
        y = torch.ops.qvgen_lowbit.int8_epilogue(acc, sx, sw, u if correct > 0 else torch.empty([0], device=x.device),
                                                 v, bias, x.dtype)
    else:
        y = torch._scaled_mm(codes, wq.t(), scale_a=sx, scale_b=sw, bias=b, out_dtype=x.dtype,
                             use_fast_accum=False)
        if correct > 0:
            y = torch.ops.qvgen_lowbit.correct_rows_(y, u, v, correct)
    if y.size(0) != m:
        y = y[:m]
    shape = x.shape[:-1] + [wq.size(0)]
    return y.reshape(shape)


class LowBitLinear(torch.nn.Module):
    """y = x W_hat^T + b over codes; cfg (CPU int64) = [bits, int8 codes?, packed 4-bit?, correction mode]."""

    def forward(self, x: torch.Tensor, w: torch.Tensor, woff: torch.Tensor, sw: torch.Tensor,
                bias: torch.Tensor, v: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor,
                cfg: torch.Tensor) -> torch.Tensor:
        codes, sx, u = torch.ops.qvgen_lowbit.act_quant(x.reshape(-1, x.size(-1)), int(cfg[0]), lo, hi,
                                                        bool(cfg[1] != 0))
        return _matmul(x, codes, sx, u, w, woff, sw, bias, v, cfg)


class LowBitActQuant(torch.nn.Module):
    """The activation codes of x alone (codes (M, K), per-token step (M, 1), correction terms (M, 2)), so
    that the linears reading the same input (q, k and v) quantize it once; cfg as LowBitLinear's."""

    def forward(self, x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor,
                cfg: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return torch.ops.qvgen_lowbit.act_quant(x.reshape(-1, x.size(-1)), int(cfg[0]), lo, hi, bool(cfg[1] != 0))


class LowBitMatmul(torch.nn.Module):
    """LowBitLinear after its quantizer: the product of LowBitActQuant's outputs for x with one weight."""

    def forward(self, x: torch.Tensor, codes: torch.Tensor, sx: torch.Tensor, u: torch.Tensor, w: torch.Tensor,
                woff: torch.Tensor, sw: torch.Tensor, bias: torch.Tensor, v: torch.Tensor,
                cfg: torch.Tensor) -> torch.Tensor:
        return _matmul(x, codes, sx, u, w, woff, sw, bias, v, cfg)


class Int8ToFp8(torch.nn.Module):
    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        # int8 codes in [-16, 16] are exact in e4m3; DJL 0.36 cannot name a float8 type
        return codes.to(torch.float8_e4m3fn)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    ops = lowbit_ops.load_library(a.lib)
    os.makedirs(a.out, exist_ok=True)
    lin = torch.jit.script(LowBitLinear())
    lin.save(os.path.join(a.out, "lowbit_linear.pt"))
    cast = torch.jit.script(Int8ToFp8())
    cast.save(os.path.join(a.out, "int8_to_fp8.pt"))
    torch.jit.script(LowBitActQuant()).save(os.path.join(a.out, "lowbit_act_quant.pt"))
    torch.jit.script(LowBitMatmul()).save(os.path.join(a.out, "lowbit_matmul.pt"))
    # reload and compare with the eager definition on random layers, every mode
    lin = torch.jit.load(os.path.join(a.out, "lowbit_linear.pt"))
    cast = torch.jit.load(os.path.join(a.out, "int8_to_fp8.pt"))
    quant = torch.jit.load(os.path.join(a.out, "lowbit_act_quant.pt"))
    mm = torch.jit.load(os.path.join(a.out, "lowbit_matmul.pt"))
    torch.manual_seed(1)
    dev = "cuda"
    empty = torch.empty(0, device=dev)
    # frac: a fractional weight zero point (every token corrected); every case has a few tokens whose
    # range excludes 0 (d != 0, the sparse correction) and K = 512 or 8960 (row in registers or read twice)
    for kind, packed, bits, m, frac, k in [("fp8", False, 4, 300, False, 512), ("fp8", True, 4, 300, False, 512),
                                           ("fp8", False, 3, 5, False, 512), ("fp8", False, 4, 300, True, 512),
                                           ("fp8", False, 4, 70, False, 8960), ("int8", False, 8, 300, False, 512),
                                           ("int8", False, 4, 3, False, 512)]:
        n = 256
        x = torch.randn(2, m, k, device=dev, dtype=torch.bfloat16)
        x[:, ::7] = x[:, ::7].abs() + 0.5
        w = torch.randn(n, k, device=dev, dtype=torch.bfloat16)
        codes, scale = lowbit_ops.sim_weight(w, bits)
        bias = torch.randn(n, device=dev, dtype=torch.bfloat16)
        f = (torch.rand(n) - 0.5) if frac else torch.zeros(n)
        lw = lowbit_ops.LowBitWeight(codes.float().cpu(), scale.float().reshape(-1).cpu(), f, bias,
                                     kind, packed, dev)
        ref = lowbit_ops.real_linear(ops, x, lw, bits)
        wt = lw.w if (kind == "int8" or packed) else cast(codes.to(torch.int8))
        cfg = torch.tensor([bits, kind == "int8", packed, 2 if lw.has_frac else 1], dtype=torch.int64)
        got = lin(x, wt, lw.offset if packed else empty, lw.sw, bias, lw.v, empty, empty, cfg)
        assert torch.equal(got, ref), (kind, packed, bits, (got.float() - ref.float()).abs().max())
        # the split path: one quantization shared by two weights gives each the whole linear's result
        codes_x, sx, u = quant(x, empty, empty, cfg)
        split = mm(x, codes_x, sx, u, wt, lw.offset if packed else empty, lw.sw, bias, lw.v, cfg)
        assert torch.equal(split, ref), ("split", kind, packed, bits, (split.float() - ref.float()).abs().max())
        print("module ok", kind, "packed" if packed else "", "w%da%d" % (bits, bits), "tokens", 2 * m, "K", k,
              "fractional zero point" if frac else "")
    print("wrote lowbit_linear.pt, int8_to_fp8.pt, lowbit_act_quant.pt, lowbit_matmul.pt with torch", torch.__version__)


if __name__ == "__main__":
    main()
