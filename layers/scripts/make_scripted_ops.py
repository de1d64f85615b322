"""Writes the TorchScript op modules that dev.qvgen.models.nn.ScriptedOp runs.

DJL 0.36 has no binding for several ops that PyTorch runs as one fused kernel, and spelling them
with DJL's elementwise ops costs one full read and write of the tensor per op: GELU(tanh) is nine
passes over the FFN activations, the largest tensor of a block (bench/op_costs.py measures the
cost). Each module below is one such op and nothing else (no parameters), written as diffusers' eager code writes it, so DJL reaches the
same kernels as PyTorch eager on CPU and CUDA. Made once with PyTorch 2.11; DJL's libtorch 2.7.1
(CPU) and the device's libtorch 2.11 (CUDA) both load them.

    python3 layers/scripts/make_scripted_ops.py layers/src/main/resources/dev/qvgen/layers/nn
"""
import os
import sys

import torch
import torch.nn.functional as F


class Sdpa(torch.nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        # (B, H, L, D) in, (B, H, L, D) out; scale 1/sqrt(D) as the plain path uses.
        return F.scaled_dot_product_attention(q, k, v)


class GeluTanh(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # diffusers' "gelu-approximate"; half inputs are computed in float32 and rounded once
        return F.gelu(x, approximate="tanh")


class RmsNorm(torch.nn.Module):
    def forward(self, x: torch.Tensor, weight: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        # torch.nn.RMSNorm over the last axis; eps arrives as a CPU scalar tensor (DJL passes tensors only)
        return F.rms_norm(x, [x.size(-1)], weight, float(eps))


class ToBf16(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # DJL 0.36 has no bfloat16 dtype code: only a module can make a bfloat16 tensor for it
        return x.to(torch.bfloat16)


class TypeAs(torch.nn.Module):
    def forward(self, x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        # a cast to another tensor's type, which DJL cannot name when that type is bfloat16
        return x.to(like.dtype)


def check(name, module, args, ref):
    scripted = torch.jit.script(module)
    got = scripted(*args)
    assert got.dtype == ref.dtype and torch.allclose(got, ref, atol=1e-5, rtol=1e-5), name
    return scripted


def main(out_dir):
    torch.manual_seed(0)
    q, k, v = torch.randn(1, 2, 5, 8), torch.randn(1, 2, 7, 8), torch.randn(1, 2, 7, 8)
    x = torch.randn(2, 5, 3, 8)
    w = torch.randn(8)
    modules = {
        "sdpa": check("sdpa", Sdpa(), (q, k, v),
                      torch.softmax(q @ k.transpose(-1, -2) / 8 ** 0.5, -1) @ v),
        "gelu_tanh": check("gelu_tanh", GeluTanh(), (x,),
                           0.5 * x * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (x + 0.044715 * x ** 3)))),
        "rms_norm": check("rms_norm", RmsNorm(), (x, w, torch.tensor(1e-6)),
                          x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w),
        "to_bf16": check("to_bf16", ToBf16(), (x,), x.to(torch.bfloat16)),
        "type_as": check("type_as", TypeAs(), (x.to(torch.bfloat16), w), x.to(torch.bfloat16).float()),
    }
    os.makedirs(out_dir, exist_ok=True)
    for name, m in modules.items():
        path = os.path.join(out_dir, name + ".pt")
        m.save(path)
        print("wrote", path, "with torch", torch.__version__)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
