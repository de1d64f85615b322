"""Real low-bit execution in PyTorch: exactness against the simulated path, per-layer GEMM times at the
published shapes, whole-transformer forwards (bf16, simulated W4A4, real W4A4), and the bf16 baseline
against diffusers' own transformers, all in one process on one GPU.

    python3 quantizer/scripts/lowbit_ops.py --build /tmp/lowbit          # nvcc, against this torch
    python3 bench/lowbit_reference.py --lib /tmp/lowbit/libqvgen_lowbit.so --out lowbit.json \
        [--diffusers DIR_HOLDING_diffusers_PACKAGE]

The real path (quantizer/scripts/lowbit_ops.py): per-token activation codes from the qvgen_lowbit
kernel (one pass, FP8 e4m3 or int8), weights as FP8 codes (1 byte) or packed 4-bit (0.5 byte,
unpacked per call), torch._scaled_mm with row-wise scales and the bias in its epilogue (FP8), or
torch._int_mm plus a fused epilogue (INT8). The simulated path is what `qvgen profile --kernel
simulated` runs: fake quantization in bf16 and a bf16 GEMM. Attention stays bf16 in both.
Timing: CUDA events, median of --reps calls after warm-up (layers); median of --runs forwards, each
ended by a synchronisation (transformers), as bench/torch_reference.py times.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "quantizer", "scripts"))
import lowbit_ops  # noqa: E402
import torch_reference as tr  # noqa: E402

DEV = "cuda"
BF16 = torch.bfloat16


def log(*a):
    print(*a, flush=True)


def rel(a, b):
    a, b = a.double(), b.double()
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


def time_call(fn, reps=30, warmup=5):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        ts.append(s.elapsed_time(e))
    return statistics.median(ts)


def activations(m, k, seed, degenerate=8):
    """Activation-like rows: a few outlier channels, and `degenerate` all-positive rows (a range
    without zero, where the dynamic quantizer's zero point falls outside [0, L])."""
    g = torch.Generator(device=DEV).manual_seed(seed)
    x = torch.randn(m, k, device=DEV, generator=g)
    x[:, :8] *= 20
    if degenerate:
        x[:degenerate] = x[:degenerate].abs() + 3
    return x.to(BF16)


# ------------------------------------------------------------------------------------- exactness


def exactness(ops):
    out = []
    for (bits, kind, n, k, asym) in [(4, "fp8", 1536, 1536, False), (4, "fp8", 1536, 8960, False),
                                     (3, "fp8", 1536, 1536, False), (4, "fp8", 1536, 1536, True),
                                     (8, "int8", 1536, 1536, False), (8, "int8", 1536, 8960, True),
                                     (4, "int8", 1536, 1536, False)]:
        m = 4096
        x = activations(m, k, seed=bits * 7 + k)
        w = (torch.randn(n, k, device=DEV) * 0.02).to(BF16)
        bias = (torch.randn(n, device=DEV) * 0.1).to(BF16)
        if asym:
            # LSQ+-style weight: real zero point per channel (not an integer), codes 0..2^b-1
            levels = 2 ** bits - 1
            mn, mx = w.float().amin(1, keepdim=True), w.float().amax(1, keepdim=True)
            s = (mx - mn) / levels
            z = -mn / s + torch.rand_like(s) * 0.8 - 0.4
            q = (w.float() / s + z).round().clamp(0, levels)
            # offset round(z) keeps the codes small; where a row's codes would not fit the code type
            # (8-bit codes in int8) the middle code is the offset and f carries the rest
            off = z.round()
            limit = 16 if kind == "fp8" else 127
            wide = (q - off).abs().amax(1, keepdim=True) > limit
            off = torch.where(wide, torch.full_like(off, float(2 ** (bits - 1))), off)
            e, f, scale = (q - off), (z - off), s
            w_fake = ((q - z) * s).to(BF16)
        else:
            e, scale = lowbit_ops.sim_weight(w, bits)
            f = torch.zeros(n, 1, device=DEV)
            w_fake = e * scale
        lw = lowbit_ops.LowBitWeight(e.float().cpu(), scale.float().reshape(-1).cpu(), f.reshape(-1).cpu(), bias,
                                     kind, False, DEV)
        # codes: the kernel against its eager definition, and against the simulated path's integers
        empty = torch.empty(0, device=DEV)
        c_k, sx_k, u_k = ops.act_quant(x, bits, empty, empty, kind == "int8")
        c_t, sx_t, u_t = lowbit_ops.act_quant_torch(x, bits, kind == "int8")
        sim_int, sim_scale = lowbit_ops.sim_act_codes(x, bits)
        d = (u_t[:, :1] / sx_t)
        code_mismatch = int((c_k.float() != c_t).sum())
        scale_mismatch = int((sx_k != sx_t).sum())
        u_mismatch = int((u_k != u_t).sum())
        sim_mismatch = int((c_t + d.round() != sim_int).sum())
        y_sim = F.linear(lowbit_ops.sim_act(x, bits)[0], w_fake, bias)
        y_real = lowbit_ops.real_linear(ops, x, lw, bits)
        # float64 reference over the same integers and scales: the exact value both approximate
        xe = (sim_int.double() * sim_scale.double())
        we = ((e.double() - f.double()) * scale.double())
        y_exact = xe @ we.t() + bias.double()
        r = {"bits": bits, "kind": kind, "n": n, "k": k, "m": m, "asymmetric_weight": asym,
             "degenerate_tokens": 8, "act_code_mismatch_kernel_vs_eager": code_mismatch,
             "act_scale_mismatch": scale_mismatch, "correction_mismatch": u_mismatch,
             "act_code_mismatch_vs_simulated": sim_mismatch,
             "rel_real_vs_simulated": rel(y_real, y_sim), "rel_real_vs_exact": rel(y_real, y_exact),
             "rel_simulated_vs_exact": rel(y_sim, y_exact),
             "rel_real_no_correction_vs_exact": rel(lowbit_ops.real_linear(ops, x, lw, bits, correct=False), y_exact)}
        log("exact", json.dumps(r))
        out.append(r)
    return out


# --------------------------------------------------------------------------------------- layers


@torch.jit.script
def ts_quant_int8(x: torch.Tensor, levels: float):
    # the dynamic quantizer with an int8 output, which TorchScript's GPU fuser can fuse
    mn = x.amin(-1, keepdim=True)
    mx = x.amax(-1, keepdim=True)
    scale = torch.clamp_min((mx - mn) / levels, 1e-8)
    zero = (-mn / scale).round()
    o = zero.clamp(0.0, levels)
    q = ((x / scale).round() + zero).clamp(0.0, levels)
    return (q - o).to(torch.int8), scale.float()


LAYER_SHAPES = {
    # model: (tokens, [(name, in, out, rows)])
    "wan2.1-t2v-1.3b": (32760, [("self-attn q/k/v/o, cross q/o", 1536, 1536, None), ("ffn up", 1536, 8960, None),
                                ("ffn down", 8960, 1536, None), ("cross k/v (text)", 1536, 1536, 512)]),
    "cogvideox-2b": (17776, [("attn q/k/v/o", 1920, 1920, None), ("ff up", 1920, 7680, None),
                             ("ff down", 7680, 1920, None)]),
}


def layer_times(ops, reps):
    rows = []
    for model, (tokens, shapes) in LAYER_SHAPES.items():
        for name, k, n, m_override in shapes:
            m = m_override or tokens
            x = activations(m, k, seed=k + n, degenerate=0)
            w = (torch.randn(n, k, device=DEV) * 0.02).to(BF16)
            bias = (torch.randn(n, device=DEV) * 0.1).to(BF16)
            e4, s4 = lowbit_ops.sim_weight(w, 4)
            e8, s8 = lowbit_ops.sim_weight(w, 8)
            zeros = torch.zeros(n)
            lw4 = lowbit_ops.LowBitWeight(e4.float().cpu(), s4.float().reshape(-1).cpu(), zeros, bias, "fp8", False, DEV)
            lp4 = lowbit_ops.LowBitWeight(e4.float().cpu(), s4.float().reshape(-1).cpu(), zeros, bias, "fp8", True, DEV)
            li8 = lowbit_ops.LowBitWeight(e8.float().cpu(), s8.float().reshape(-1).cpu(), zeros, bias, "int8", False, DEV)
            wf4 = (e4 * s4)
            empty = torch.empty(0, device=DEV)
            c4, sx4, _ = ops.act_quant(x, 4, empty, empty, False)
            c8, sx8, _ = ops.act_quant(x, 8, empty, empty, True)
            t = {
                "bf16 linear": time_call(lambda: F.linear(x, w, bias), reps),
                "fp8 GEMM only (codes ready)": time_call(lambda: torch._scaled_mm(
                    c4, lw4.w.t(), scale_a=sx4, scale_b=lw4.sw, bias=bias, out_dtype=BF16), reps),
                "int8 GEMM only (_int_mm)": time_call(lambda: torch._int_mm(c8, li8.w.t()), reps),
                "act quant, eager (simulated)": time_call(lambda: lowbit_ops.sim_act(x, 4), reps),
                "act quant, TorchScript int8 + fp8 cast": time_call(lambda: ts_quant_int8(x, 15.0)[0].to(
                    torch.float8_e4m3fn), reps),
                "act quant, qvgen_lowbit kernel (fp8)": time_call(lambda: ops.act_quant(x, 4, empty, empty, False), reps),
                "W4A4 fp8 linear (kernel + GEMM)": time_call(lambda: lowbit_ops.real_linear(ops, x, lw4, 4, False), reps),
                "W4A4 fp8 linear + exact correction": time_call(lambda: lowbit_ops.real_linear(ops, x, lw4, 4, True), reps),
                "W4A4 packed-4-bit linear (unpack per call)": time_call(
                    lambda: lowbit_ops.real_linear(ops, x, lp4, 4, False), reps),
                "W8A8 int8 linear (kernel + _int_mm + epilogue)": time_call(
                    lambda: lowbit_ops.real_linear(ops, x, li8, 8, True), reps),
                "W4A4 simulated (fake quant + bf16 GEMM)": time_call(
                    lambda: F.linear(lowbit_ops.sim_act(x, 4)[0], wf4, bias), reps),
            }
            r = {"model": model, "layer": name, "m": m, "k": k, "n": n, "ms": t,
                 "bf16_tflops": 2 * m * k * n / t["bf16 linear"] / 1e9,
                 "fp8_gemm_tflops": 2 * m * k * n / t["fp8 GEMM only (codes ready)"] / 1e9}
            log("layer", json.dumps(r))
            rows.append(r)
            del x, w, lw4, lp4, li8, wf4, c4, c8
            torch.cuda.empty_cache()
    return rows


# ----------------------------------------------------------------------------------- transformers


class SimLinear(nn.Module):
    """The simulated W?A?: the weight fake-quantized once (in place), the input on every call."""

    def __init__(self, lin, bits):
        super().__init__()
        codes, scale = lowbit_ops.sim_weight(lin.weight.data, bits)
        lin.weight.data = codes * scale
        self.lin, self.bits = lin, bits

    def forward(self, x):
        return self.lin(lowbit_ops.sim_act(x, self.bits)[0])


class RealLinear(nn.Module):
    def __init__(self, ops, lw, bits, correct):
        super().__init__()
        self.ops, self.lw, self.bits, self.correct = ops, lw, bits, correct

    def forward(self, x):
        return lowbit_ops.real_linear(self.ops, x, self.lw, self.bits, self.correct)


def block_linears(model):
    return [(name, mod) for name, mod in model.named_modules()
            if isinstance(mod, nn.Linear) and name.startswith("blocks.")]


def set_module(model, name, new):
    parent, _, leaf = name.rpartition(".")
    setattr(model.get_submodule(parent), leaf, new)


def forward_time(fn, runs, warmup):
    ts = []
    out = None
    torch.cuda.synchronize()
    for i in range(warmup + runs):
        if i == warmup:
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        out = fn()
        torch.cuda.synchronize()
        if i >= warmup:
            ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts), min(ts), out


def weight_bytes(model):
    total = 0
    for mod in model.modules():
        if isinstance(mod, RealLinear):
            total += mod.lw.weight_bytes() + (mod.lw.bias.numel() * 2 if mod.lw.bias is not None else 0)
        else:
            total += sum(p.numel() * p.element_size() for p in mod.parameters(recurse=False))
    return total


def transformers(ops, runs, warmup, models):
    rows = []
    for name in models:
        builder, shape, text_len = tr.MODELS[name]
        torch.manual_seed(0)
        model = builder().to(device=DEV, dtype=BF16).eval()
        latents = torch.randn(1, *shape, device=DEV, dtype=BF16)
        t = torch.full((1,), 500.0, device=DEV)
        text = torch.randn(1, text_len, 4096, device=DEV, dtype=BF16)

        def run(label, extra=None):
            torch.cuda.empty_cache()
            with torch.inference_mode():
                med, mn, out = forward_time(lambda: model(latents, t, text), runs, warmup)
            r = {"model": name, "variant": label, "median_ms": med, "min_ms": mn,
                 "max_memory_allocated": torch.cuda.max_memory_allocated(),
                 "max_memory_reserved": torch.cuda.max_memory_reserved(), "weight_bytes": weight_bytes(model),
                 "gpu": torch.cuda.get_device_name()}
            r.update(extra or {})
            log("forward", json.dumps(r))
            rows.append(r)
            return out

        y_bf16 = run("bf16 (bench/torch_reference.py)")
        if name.startswith("wan"):
            fixed = tr.wan_apply_rope

            def legacy(x, cos, sin):
                x1, x2 = x.unflatten(-1, (-1, 2)).unbind(-1)
                out = torch.empty_like(x, dtype=torch.float32)
                out[..., 0::2] = x1 * cos[..., 0::2] - x2 * sin[..., 1::2]
                out[..., 1::2] = x1 * sin[..., 1::2] + x2 * cos[..., 0::2]
                return out.type_as(x)
            tr.wan_apply_rope = legacy
            run("bf16, reference before this change (float32 RoPE buffer)")
            tr.wan_apply_rope = fixed
        # codes from the bf16 weights, before the simulated path overwrites them
        lins = block_linears(model)
        real_w = {}
        for lname, lin in lins:
            codes, scale = lowbit_ops.sim_weight(lin.weight.data, 4)
            real_w[lname] = (codes.to(torch.int8), scale.float().reshape(-1), lin.bias)
        for lname, lin in lins:
            set_module(model, lname, SimLinear(lin, 4))
        y_sim = run("W4A4 simulated (fake quant in bf16, bf16 GEMMs)", {"rel_vs_bf16": None})
        for lname, lin in lins:
            c, s, b = real_w[lname]
            set_module(model, lname, RealLinear(ops, lowbit_ops.LowBitWeight(
                c, s, torch.zeros_like(s), b, "fp8", False, DEV), 4, True))
        del lins
        torch.cuda.empty_cache()
        y_real = run("W4A4 real, FP8 codes, exact correction", {})
        rows[-1]["rel_vs_simulated"] = rel(y_real, y_sim)
        for mod in model.modules():
            if isinstance(mod, RealLinear):
                mod.correct = False
        y_nc = run("W4A4 real, FP8 codes, no correction", {})
        rows[-1]["rel_vs_simulated"] = rel(y_nc, y_sim)
        for lname, mod in [(n_, m_) for n_, m_ in model.named_modules() if isinstance(m_, RealLinear)]:
            c, s, b = real_w[lname]
            mod.lw = lowbit_ops.LowBitWeight(c, s, torch.zeros_like(s), b, "fp8", True, DEV)
        torch.cuda.empty_cache()
        y_p = run("W4A4 real, packed 4-bit, no correction", {})
        rows[-1]["rel_vs_simulated"] = rel(y_p, y_sim)
        rows.append({"model": name, "variant": "check", "rel_simulated_vs_bf16": rel(y_sim, y_bf16),
                     "rel_real_vs_simulated": rel(y_real, y_sim)})
        log("forward", json.dumps(rows[-1]))
        del model, real_w, y_bf16, y_sim, y_real, y_nc, y_p
        torch.cuda.empty_cache()
    return rows


# --------------------------------------------------------------------------------------- diffusers


def diffusers_times(path, runs, warmup, models):
    rows = []
    if path:
        sys.path.insert(0, path)
    try:
        from diffusers import CogVideoXTransformer3DModel, WanTransformer3DModel
    except Exception as e:  # noqa: BLE001 - reported, the rest of the bench still runs
        log("diffusers unavailable:", repr(e))
        return [{"error": repr(e)}]
    for name in models:
        torch.manual_seed(0)
        with torch.device(DEV):
            if name.startswith("wan"):
                model = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128,
                                              in_channels=16, out_channels=16, text_dim=4096, freq_dim=256,
                                              ffn_dim=8960, num_layers=30, cross_attn_norm=True,
                                              qk_norm="rms_norm_across_heads", eps=1e-6)
                inputs = dict(hidden_states=torch.randn(1, 16, 21, 60, 104), timestep=torch.full((1,), 500.0),
                              encoder_hidden_states=torch.randn(1, 512, 4096))
            else:
                model = CogVideoXTransformer3DModel(num_attention_heads=30, attention_head_dim=64, in_channels=16,
                                                    out_channels=16, time_embed_dim=512, text_embed_dim=4096,
                                                    num_layers=30, sample_width=90, sample_height=60,
                                                    sample_frames=49)
                inputs = dict(hidden_states=torch.randn(1, 13, 16, 60, 90), timestep=torch.full((1,), 500.0),
                              encoder_hidden_states=torch.randn(1, 226, 4096))
        # as from_pretrained(torch_dtype=bfloat16) leaves it: _keep_in_fp32_modules stay float32
        keep = getattr(model, "_keep_in_fp32_modules", None) or []
        model.to(BF16)
        for pname, p in model.named_parameters():
            if any(k in pname.split(".") for k in keep):
                p.data = p.data.float()
        for bname, b in model.named_buffers():
            if any(k in bname.split(".") for k in keep) and b.is_floating_point():
                pass  # buffers keep the type the module made them with
        model.eval()
        inputs = {k: (v.to(BF16) if k != "timestep" else v) for k, v in inputs.items()}
        with torch.inference_mode():
            med, mn, _ = forward_time(lambda: model(**inputs, return_dict=False)[0], runs, warmup)
        r = {"model": name, "variant": "diffusers bf16", "median_ms": med, "min_ms": mn,
             "max_memory_allocated": torch.cuda.max_memory_allocated(),
             "max_memory_reserved": torch.cuda.max_memory_reserved(), "gpu": torch.cuda.get_device_name(),
             "params": sum(p.numel() for p in model.parameters())}
        log("forward", json.dumps(r))
        rows.append(r)
        del model
        torch.cuda.empty_cache()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--diffusers", default=None, help="folder holding the diffusers package (its src/)")
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--parts", default="exact,layers,forward,diffusers")
    ap.add_argument("--models", default="wan2.1-t2v-1.3b,cogvideox-2b")
    a = ap.parse_args()
    ops = lowbit_ops.load_library(a.lib)
    res = {"gpu": torch.cuda.get_device_name(), "torch": torch.__version__}
    models = a.models.split(",")

    def save():
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)

    parts = a.parts.split(",")
    # alternate reference and diffusers so drift hits both alike
    for part in parts:
        try:
            if part == "exact":
                res["exactness"] = exactness(ops)
            elif part == "layers":
                res["layers"] = layer_times(ops, a.reps)
            elif part == "forward":
                res["forward"] = transformers(ops, a.runs, a.warmup, models)
            elif part == "diffusers":
                res["diffusers"] = diffusers_times(a.diffusers, a.runs, a.warmup, models)
                # the reference again after diffusers, same process
                res["forward_bf16_again"] = [tr.run(m, BF16, a.runs, a.warmup, 1, None) for m in models]
                log("again", json.dumps(res["forward_bf16_again"]))
        except Exception as e:  # noqa: BLE001 - keep what was measured
            import traceback
            traceback.print_exc()
            res.setdefault("errors", []).append(f"{part}: {e!r}")
        save()
    log("done", a.out)


if __name__ == "__main__":
    main()
