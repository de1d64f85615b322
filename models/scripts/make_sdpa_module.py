"""Writes the TorchScript module that dev.qvgen.models.nn.Attention runs for fused attention.

The module is F.scaled_dot_product_attention and nothing else (no parameters), so DJL, which has
no binding for that op, can reach PyTorch's fused kernels (flash / memory-efficient on CUDA, the
flash CPU kernel on CPU) through TorchScript. Made once with PyTorch 2.11; DJL's libtorch 2.7.1
(CPU) and the device's libtorch 2.11 (CUDA) both load it.

    python3 models/scripts/make_sdpa_module.py models/src/main/resources/dev/qvgen/models/nn/sdpa.pt
"""
import sys

import torch
import torch.nn.functional as F


class Sdpa(torch.nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        # (B, H, L, D) in, (B, H, L, D) out; scale 1/sqrt(D) as the plain path uses.
        return F.scaled_dot_product_attention(q, k, v)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "sdpa.pt"
    m = torch.jit.script(Sdpa())
    q = torch.randn(1, 2, 5, 8)
    k = torch.randn(1, 2, 7, 8)
    v = torch.randn(1, 2, 7, 8)
    ref = torch.softmax(q @ k.transpose(-1, -2) / 8 ** 0.5, -1) @ v
    assert torch.allclose(m(q, k, v), ref, atol=1e-5)
    m.save(out)
    print("wrote", out, "with torch", torch.__version__)
