"""Makes the UMT test fixture: a toy-width instance of VBench's UMT classifier, run by VBench's own
code (vbench/third_party/umt/models/modeling_finetune.py, given by path; it is not part of this
repository) on a procedural clip.

The toy keeps everything the published vit_large_patch16_224 classifier exercises: 224 x 224
frames of 16 x 16 patches, 16 frames with tubelet 1 (so the fixed position table is stretched
from 8 to 16 frames), q/v-only attention bias, mean pooling and fc_norm; only the widths are
small (dim 32, 2 blocks, 2 heads, 10 classes). The state dict is saved without pos_embed, so the
Java side must build the table itself; the table is kept in the golden file to compare.

    python3 make_fixture.py /path/to/modeling_finetune.py OUT_DIR
"""
import importlib.util
import os
import sys
from functools import partial

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file


def clip(batch):
    # x[b, c, t, h, w] = sin(0.37 (c + 1) + 0.11 t + 0.05 h - 0.031 w + 0.5 b), float64 then float32
    b, c, t, h, w = np.meshgrid(np.arange(batch), np.arange(3), np.arange(16), np.arange(224), np.arange(224),
                                indexing="ij")
    return torch.from_numpy(np.sin(0.37 * (c + 1) + 0.11 * t + 0.05 * h - 0.031 * w + 0.5 * b).astype(np.float32))


def main(source, out_dir):
    spec = importlib.util.spec_from_file_location("modeling_finetune", source)
    mf = importlib.util.module_from_spec(spec)
    sys.modules["modeling_finetune"] = mf  # timm's register_model looks the module up by name
    spec.loader.exec_module(mf)
    torch.manual_seed(0)
    model = mf.VisionTransformer(
        img_size=224, patch_size=16, embed_dim=32, depth=2, num_heads=2, mlp_ratio=4, qkv_bias=True,
        norm_layer=partial(nn.LayerNorm, eps=1e-6), num_classes=10, all_frames=16, tubelet_size=1,
        use_learnable_pos_emb=False, fc_drop_rate=0., drop_rate=0., drop_path_rate=0.2, attn_drop_rate=0.,
        use_checkpoint=False, checkpoint_num=16, use_mean_pooling=True, init_scale=0.001)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "pos_embed":
                continue
            p.normal_(0, 0.5 if name.startswith("head") else 0.1)
            if "norm" in name and name.endswith("weight"):
                p.add_(1.0)
    model.eval()
    x = clip(2)
    with torch.no_grad():
        features = model.forward_features(x)
        logits = model.head(features)
    state = {k: v for k, v in model.state_dict().items() if k != "pos_embed"}
    os.makedirs(out_dir, exist_ok=True)
    torch.save(state, os.path.join(out_dir, "umt_toy.pth"))
    save_file({"features": features.contiguous(), "logits": logits.contiguous(),
               "pos_embed": model.pos_embed.detach()[0].contiguous()}, os.path.join(out_dir, "golden.safetensors"))
    print("logits", logits)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
