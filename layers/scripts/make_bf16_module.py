"""Writes the TorchScript module that dev.qvgen.models.nn.Bfloat16 runs to widen bfloat16 weights.

DJL 0.36's PyTorch JNI has no bfloat16 dtype, so a bfloat16 tensor cannot be made from Java. The
weights are therefore held as their raw bytes (uint8, two per value, little-endian, as in the
safetensors file) and this module reinterprets them as bfloat16 and widens them to float32 inside
libtorch, one layer at a time. Made once with PyTorch 2.11; DJL's libtorch 2.7.1 (CPU) and the
device's libtorch 2.11 (CUDA) load it.

    python3 layers/scripts/make_bf16_module.py layers/src/main/resources/dev/qvgen/layers/nn/bf16.pt
"""
import sys

import torch


class Bf16ToFloat(torch.nn.Module):
    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        # (..., 2n) uint8 little-endian bfloat16 bytes -> (..., n) float32
        return raw.view(torch.bfloat16).to(torch.float32)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "bf16.pt"
    # Traced, not scripted: TorchScript's compiler resolves view(dtype) as view(size), while a trace
    # records aten::view.dtype itself, which keeps no shape, so the module takes any size.
    m = torch.jit.trace(Bf16ToFloat(), torch.zeros(2, 4, dtype=torch.uint8))
    x = torch.randn(3, 5).to(torch.bfloat16)
    raw = x.contiguous().view(torch.uint8)
    assert raw.shape == (3, 10)
    assert torch.equal(m(raw), x.to(torch.float32))
    y = torch.randn(7).to(torch.bfloat16)
    assert torch.equal(m(y.view(torch.uint8)), y.to(torch.float32))
    m.save(out)
    print("wrote", out, "with torch", torch.__version__)
