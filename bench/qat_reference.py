"""PyTorch reference of one QVGen quantization-aware-training step, to time our Java (DJL) trainer
against plain PyTorch doing the same work on the same card.

The models are bench/torch_reference.py's (imported, not copied): diffusers' WanTransformer3DModel
(Wan2.1-T2V-1.3B) and CogVideoXTransformer3DModel (CogVideoX-2B) in plain torch.nn, published
configs, random weights. One optimizer step of --grad-accum micro-batches (batch 1 each) does what
the Java trainer does (quantizer/.../qat/QatTrainer.java with TransformerQat's random task):

* Student: every nn.Linear inside the blocks (Wan `blocks.N.`, CogVideoX `transformer_blocks.N.`,
  i.e. LayerSelection.insideBlocks, modulation linears included) becomes a QVGen fake-quantized
  linear  y = A_q(x) (W_q(W) + Phi)^T + b  (QatLinearKernel.apply):
    - W_q: LSQ+ per output channel, learnable step s and real zero point z, both read through
      the LSQ gradient-scale trick with g = 1/sqrt(in * (2^b - 1)), straight-through round,
      q = clamp(round(W/s + z), 0, 2^b - 1), W_hat = (q - z) s   (LsqPlusWeightQuantizer.forward);
    - A_q: clipped dynamic per-token quantizer, one pair of clip logits per timestep group
      g = floor(t / 1000 * G) (G = 50), range [sigmoid(lower_g) 0.95 min(x), sigmoid(upper_g)
      0.95 max(x)], s = clamp_min((max - min)/(2^b - 1), 1e-9), z = clamp(-round(min/s), 0, 2^b - 1)
      with no gradient, q = clamp(ste_round(x/s) + z, 0, 2^b - 1), x_hat = (q - z) s
      (ClippedDynamicActQuantizer.forward);
    - Phi = (L diag(alpha)) R, L (out, r), R (r, in), r = min(32, min(out, in)/2), alpha fixed
      (the rank-decay coefficients, RankDecay/LowRankBranch.delta); L and R trained.
  Initialisation is NOT what the Java code does and is not timed: the step and zero point come
  from each row's plain [min, max] (the first candidate of LsqPlusWeightQuantizer's 80-candidate
  MSE search), Phi from a randomized truncated SVD of W - W_q (torch.svd_lowrank, 10 oversamples,
  2 power iterations, balanced factors U sqrt(S), sqrt(S) V^T as Svd.java returns them).
* Teacher: a bf16 copy of the same full-precision model (torch_reference's bf16 path with its
  float32 islands), forward under torch.no_grad().
* Loss: mean((student - teacher)^2) (distillation), scaled by 1/grad_accum, backward; gradients add
  up over the micro-batches; then the global gradient norm is clipped to 1.0 and AdamW (betas
  0.9/0.95, eps 1e-8) updates four groups (QatLayers.groups, LearningRates.official()): every
  model parameter 3e-5, quantizer steps and zero points 3e-5, clip logits 1e-2, Phi 3e-5, weight
  decay 1e-4 on all four. A step with a non-finite gradient norm is skipped (AdamW.java does).
  The learning-rate schedule factor is held at 1 and Phi's rank does not change within the few
  timed steps (a rank halving happens every ~400 steps of the official recipe and is not timed);
  alpha is still set each step, as QatLayers.decayTo does.
* Student forward with per-block activation checkpointing (torch.utils.checkpoint, non-reentrant).

Precision (--precision):
  lite      "autocast-lite", what the Java trainer implements: every student parameter is float32
            (they are the master weights); every GEMM of a linear layer (quantized or not, the
            patch-embedding convolution included) and attention run in bfloat16, operands cast at
            use and the output cast back to float32; norms, RoPE, modulation, the quantizers'
            arithmetic (and Phi's small L diag(alpha) R product) and residual adds stay float32.
  autocast  the same float32 student under torch.autocast(dtype=bfloat16), for comparison (on
            CUDA; torch 1.13's CPU autocast leaves nn.LayerNorm to fail on bf16 input, so there it
            runs Wan only, whose norms cast to float32 themselves).

Inputs per micro-batch: random latents at the model's latent shape (Wan (1, 16, (F-1)/4+1, H/8,
W/8); CogVideoX (1, (F-1)/4+1, 16, H/8, W/8)), a random integer timestep in [0, 1000), random text
states (Wan 512 x 4096, CogVideoX 226 x 4096), seeded by the micro-batch's index (step * accum + k),
as QatTrainer numbers them.

Timing: --warmup optimizer steps, then the median of --steps optimizer steps, each ended by a
device synchronisation; peak memory is torch.cuda.max_memory_allocated / max_memory_reserved over
the timed steps (on CPU the process's peak RSS instead). The projection to the official recipe is
sec_per_sample * batch * steps / 86400 GPU-days (Wan 48 x 2667, CogVideoX 64 x 2000); with --layers
below the full depth a crude linear extrapolation to 30 blocks is given too.

On the GPU machine (no network; PyTorch 2.11 + CUDA 13 installed; nothing else is needed), from the
repository root:
    python3 bench/qat_reference.py --check --device cuda               # checkpointing self-check
    python3 bench/qat_reference.py --out $OUT/qat_ref.json             # both models, full size, w4a4
    python3 bench/qat_reference.py --model wan2.1-t2v-1.3b --layers 4 --precision autocast
It builds the models directly on the GPU (no host-side initialisation of 1-2 B random weights),
uses fused AdamW there and prints one line per model. CPU smoke test (torch >= 1.13):
    python3 bench/qat_reference.py --device cpu --layers 1 --frames 1 --height 16 --width 32
"""
import argparse
import copy
import inspect
import json
import math
import os
import random
import re
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference as tr  # noqa: E402  (the model classes, reused as they are)

BF16 = torch.bfloat16

# ------------------------------------------------------------------------ torch 1.13 compatibility

if not hasattr(nn, "RMSNorm"):
    # torch_reference's WanAttention builds nn.RMSNorm, new in torch 2.4; only the CPU smoke test on
    # older torch (Debian's 1.13) gets here, the GPU machine's torch has the real one.
    class _RMSNorm(nn.Module):
        def __init__(self, dim, eps=None, elementwise_affine=True):
            super().__init__()
            self.eps = eps if eps is not None else 1e-6
            self.weight = nn.Parameter(torch.ones(dim)) if elementwise_affine else None

        def forward(self, x):
            y = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
            y = y.type_as(x)
            return y * self.weight if self.weight is not None else y

    nn.RMSNorm = _RMSNorm


def _sdpa_math(q, k, v):
    # F.scaled_dot_product_attention is torch >= 2.0; this is its definition, for torch 1.13
    a = torch.matmul(q, k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)
    return torch.matmul(a.softmax(-1), v)


_RAW_SDPA = getattr(F, "scaled_dot_product_attention", _sdpa_math)
# Set for --precision lite: attention in bf16 whatever the operands' type, output back in that type.
# The bf16 teacher is unaffected (its operands already are bf16).
_LITE_ATTENTION = [False]


def _sdpa(q, k, v):
    if _LITE_ATTENTION[0] and q.dtype != BF16:
        return _RAW_SDPA(q.to(BF16), k.to(BF16), v.to(BF16)).to(q.dtype)
    return _RAW_SDPA(q, k, v)


class _Functional:
    """torch_reference's `F` with attention routed through _sdpa: the attention modules call
    F.scaled_dot_product_attention inside their forward, and this is the one hook that reaches
    that call without copying their code."""

    scaled_dot_product_attention = staticmethod(_sdpa)

    def __getattr__(self, name):
        return getattr(F, name)


tr.F = _Functional()

# -------------------------------------------------------------------------------- QVGen pieces


def ste_round(x):
    # Ste.round: round forward, identity backward (same op order as the Java, so the same bits)
    return x + (x.round() - x).detach()


def scale_gradient(t, g):
    # Ste.scaleGradient: value t, gradient times g (LSQ's step-size gradient scale)
    scaled = t * g
    return scaled + (t - scaled).detach()


class Timesteps:
    """The micro-batch's clip-group index per sample, shared by every quantizer (Java's
    ForwardContext.currentTimesteps). It must stay put until the backward is done, because the
    checkpointed blocks run their forward again during backward."""

    def __init__(self):
        self.groups = None


def clip_groups(t, groups):
    # ClippedDynamicActQuantizer.group: floor(t / 1000f * G) in float32 arithmetic, clamped
    t = torch.as_tensor(t, dtype=torch.float32).reshape(-1)
    return torch.floor(t / 1000.0 * groups).clamp(0, groups - 1).long()


class QvgenLinear(nn.Module):
    """QatLinearKernel with Phi: y = A_q(x) (W_q(W) + Phi)^T + b. Keeps the nn.Linear's own weight
    and bias Parameters (the latent full-precision weights, trained in the "weights" group)."""

    INITIAL_CLIP = 0.95

    def __init__(self, lin, wbits, abits, groups, rank, ts, lite):
        super().__init__()
        self.weight, self.bias = lin.weight, lin.bias
        out, inp = lin.weight.shape
        self.wlevels = float((1 << wbits) - 1)
        self.alevels = float((1 << abits) - 1)
        self.grad_scale = 1.0 / math.sqrt(inp * self.wlevels)
        self.ts, self.lite = ts, lite
        with torch.no_grad():
            w = lin.weight.float()
            lo, hi = w.amin(1, keepdim=True), w.amax(1, keepdim=True)
            step = ((hi - lo) / self.wlevels).clamp_min(1e-9)
            self.w_scale = nn.Parameter(step)
            self.w_zero = nn.Parameter(-lo / step)
            logit = math.log(self.INITIAL_CLIP / (1 - self.INITIAL_CLIP))
            self.a_lower = nn.Parameter(torch.full((groups,), logit, device=w.device))
            self.a_upper = nn.Parameter(torch.full((groups,), logit, device=w.device))
            r = max(1, min(rank, min(out, inp) // 2))  # LowRankBranch.cappedRank
            residual = w - self.quantized_weight()
            u, s, v = torch.svd_lowrank(residual, q=min(r + 10, out, inp), niter=2)
            root = s[:r].sqrt()
            self.phi_left = nn.Parameter((u[:, :r] * root).contiguous())
            self.phi_right = nn.Parameter((v[:, :r] * root).t().contiguous())
            self.register_buffer("phi_alpha", torch.ones(1, r, device=w.device))

    def quantized_weight(self):
        # LsqPlusWeightQuantizer.forward
        s = scale_gradient(self.w_scale, self.grad_scale)
        z = scale_gradient(self.w_zero, self.grad_scale)
        q = ste_round(self.weight / s + z).clamp(0.0, self.wlevels)
        return (q - z) * s

    def quantized_input(self, x):
        # ClippedDynamicActQuantizer.forward; the one-hot product with the logits is a gather here
        # (the same value and gradient). Per token = over the last axis, per sample = axis 0.
        g = self.ts.groups
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        lo = (torch.sigmoid(self.a_lower[g]) * self.INITIAL_CLIP).reshape(shape)
        hi = (torch.sigmoid(self.a_upper[g]) * self.INITIAL_CLIP).reshape(shape)
        mn = x.amin(-1, keepdim=True) * lo
        mx = x.amax(-1, keepdim=True) * hi
        s = ((mx - mn) / self.alevels).clamp_min(1e-9)
        # The zero point gets no gradient (torch.round's is 0, as in the official get_qparams);
        # detaching says so and saves autograd the work.
        z = (-(mn / s).round()).clamp(0.0, self.alevels).detach()
        q = (ste_round(x / s) + z).clamp(0.0, self.alevels)
        return (q - z) * s

    def set_gamma(self, gamma):
        # RankDecay.alpha: the kept half at 1, the half about to be dropped at gamma
        r = self.phi_alpha.shape[1]
        self.phi_alpha[:, r // 2:] = gamma

    def forward(self, x):
        xq = self.quantized_input(x)
        w = self.quantized_weight() + (self.phi_left * self.phi_alpha) @ self.phi_right
        if self.lite:
            b = None if self.bias is None else self.bias.to(BF16)
            return F.linear(xq.to(BF16), w.to(BF16), b).float()
        return F.linear(xq, w, self.bias)


class Bf16Linear(nn.Module):
    """--precision lite for the linears that are not quantized: bf16 GEMM (bias in its epilogue)
    on float32 master weights, float32 out."""

    def __init__(self, lin):
        super().__init__()
        self.weight, self.bias = lin.weight, lin.bias

    def forward(self, x):
        b = None if self.bias is None else self.bias.to(BF16)
        return F.linear(x.to(BF16), self.weight.to(BF16), b).float()


class Bf16Conv(nn.Module):
    """--precision lite for the patch embedding (Conv2d / Conv3d): bf16 convolution, float32 out."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        c = self.conv
        b = None if c.bias is None else c.bias.to(BF16)
        return c._conv_forward(x.to(BF16), c.weight.to(BF16), b).float()


class Checkpointed(nn.Module):
    """One transformer block under non-reentrant activation checkpointing: only its inputs are kept,
    its forward runs again in backward. No RNG is drawn inside a block (no dropout), so the RNG
    state is not stashed (preserve_rng_state=False saves that work on every block)."""

    def __init__(self, block):
        super().__init__()
        self.block = block
        self.enabled = True

    def forward(self, *args):
        if self.enabled and torch.is_grad_enabled():
            return checkpoint(self.block, *args, use_reentrant=False, preserve_rng_state=False)
        return self.block(*args)


def _swap(root, path, new):
    parent, _, name = path.rpartition(".")
    setattr(root.get_submodule(parent) if parent else root, name, new)


def make_student(model, wbits, abits, groups, rank, lite, ts):
    """Installs the QVGen kernels inside the blocks, the lite wrappers elsewhere, and per-block
    checkpointing; returns the list of quantized layers."""
    quantized = []
    for path, m in list(model.named_modules()):
        if isinstance(m, nn.Linear):
            if path.startswith("blocks."):  # torch_reference names CogVideoX's blocks `blocks.` too
                q = QvgenLinear(m, wbits, abits, groups, rank, ts, lite)
                quantized.append(q)
                _swap(model, path, q)
            elif lite:
                _swap(model, path, Bf16Linear(m))
        elif isinstance(m, (nn.Conv2d, nn.Conv3d)) and lite:
            _swap(model, path, Bf16Conv(m))
    for i, blk in enumerate(model.blocks):
        model.blocks[i] = Checkpointed(blk)
    return quantized


def param_groups(model, quantized, lr_scale):
    """QatLayers.groups with LearningRates.official() (scaled() leaves clipping's rate alone)."""
    quant = [p for q in quantized for p in (q.w_scale, q.w_zero)]
    clip = [p for q in quantized for p in (q.a_lower, q.a_upper)]
    phi = [p for q in quantized for p in (q.phi_left, q.phi_right)]
    extra = {id(p) for p in quant + clip + phi}
    weights = [p for p in model.parameters() if id(p) not in extra]
    wd = 1e-4
    return [
        {"name": "weights", "params": weights, "lr": 3e-5 * lr_scale, "weight_decay": wd},
        {"name": "quantizer", "params": quant, "lr": 3e-5 * lr_scale, "weight_decay": wd},
        {"name": "clipping", "params": clip, "lr": 1e-2, "weight_decay": wd},
        {"name": "phi", "params": phi, "lr": 3e-5 * lr_scale, "weight_decay": wd},
    ]


def make_optimizer(groups, device):
    kw = {"betas": (0.9, 0.95), "eps": 1e-8}
    sig = inspect.signature(torch.optim.AdamW).parameters
    if device.type == "cuda" and "fused" in sig:
        try:
            return torch.optim.AdamW(groups, fused=True, **kw), "fused"
        except (RuntimeError, TypeError, ValueError):
            pass
    if device.type == "cuda" and "foreach" in sig:
        return torch.optim.AdamW(groups, foreach=True, **kw), "foreach"
    return torch.optim.AdamW(groups, **kw), "for-loop"


def gamma(step, period):
    # RankDecay.gamma, cosine
    u = (step % period) / float(period)
    return 0.5 * (1 + math.cos(math.pi * u))


# ------------------------------------------------------------------------------------ workloads

RECIPE = {  # official batch and steps, per model, for the GPU-days projection
    "wan2.1-t2v-1.3b": (48, 2667),
    "cogvideox-2b": (64, 2000),
}
DEFAULT_SIZE = {"wan2.1-t2v-1.3b": (480, 832), "cogvideox-2b": (480, 720)}
FULL_LAYERS = 30


class Workload:
    def __init__(self, name, frames, height, width):
        if height % 16 or width % 16 or (frames - 1) % 4:
            raise SystemExit("video %dx%dx%d: height and width must be multiples of 16 and frames 4k+1"
                             % (width, height, frames))
        self.name = name
        self.builder, _, self.text_len = tr.MODELS[name]
        f, h, w = (frames - 1) // 4 + 1, height // 8, width // 8
        self.latent = (16, f, h, w) if name.startswith("wan") else (f, 16, h, w)
        self.video_tokens = f * (h // 2) * (w // 2)

    def batch(self, index, device, dtype=torch.float32):
        """Micro-batch `index`: latents, timestep (on the device), text states, and the timestep
        as a host number (for the clip groups, without a device-to-host copy)."""
        g = torch.Generator(device=device)
        g.manual_seed(1000 + index)
        latents = torch.randn((1,) + self.latent, generator=g, device=device, dtype=dtype)
        text = torch.randn((1, self.text_len, 4096), generator=g, device=device, dtype=dtype)
        t = float(random.Random(index).randrange(1000))
        return latents, torch.full((1,), t, device=device), text, t


def build(work, layers, device, seed):
    torch.manual_seed(seed)
    kwargs = {} if layers is None else {"layers": layers}
    if device.type == "cuda" and hasattr(torch, "device") and hasattr(torch.device, "__enter__"):
        with device:  # torch >= 2.0: parameters made (and randomly initialised) on the GPU
            return work.builder(**kwargs)
    return work.builder(**kwargs).to(device)


class Trainer:
    def __init__(self, work, a, device):
        self.work, self.a, self.device = work, a, device
        wbits, abits = map(int, re.fullmatch(r"w(\d+)a(\d+)", a.bits).groups())
        self.lite = a.precision == "lite"
        _LITE_ATTENTION[0] = self.lite
        model = build(work, a.layers, device, a.seed)
        self.teacher = copy.deepcopy(model).to(BF16).eval().requires_grad_(False)
        self.ts = Timesteps()
        self.model_params = sum(p.numel() for p in model.parameters())
        self.quantized = make_student(model, wbits, abits, a.clip_groups, a.rank, self.lite, self.ts)
        self.student = model.train()
        self.groups = param_groups(model, self.quantized, a.lr_scale)
        self.params = [p for g in self.groups for p in g["params"]]
        self.opt, self.opt_impl = make_optimizer(self.groups, device)
        # RankDecay.fitting(steps, 32, 0.9, cosine) of the official recipe's step count
        self.period = max(1, int(0.9 * RECIPE[work.name][1] / 6))

    def student_forward(self, latents, t, text):
        if self.lite:
            return self.student(latents, t, text)
        with torch.autocast(device_type=self.device.type, dtype=BF16):
            return self.student(latents, t, text)

    def micro_step(self, index, scale):
        """Forward and backward of one micro-batch (gradients add up); its loss (a detached tensor,
        read once per step, so the micro-batches do not wait for the host)."""
        latents, t, text, t_host = self.work.batch(index, self.device)
        self.ts.groups = clip_groups([t_host], self.a.clip_groups).to(self.device)
        with torch.no_grad():
            target = self.teacher(latents.to(BF16), t, text.to(BF16))
        out = self.student_forward(latents, t, text)
        loss = (out.float() - target.float()).pow(2).mean()
        (loss * scale if scale != 1 else loss).backward()
        return loss.detach()

    def step(self, step):
        with torch.no_grad():
            gm = gamma(step, self.period)
            for q in self.quantized:
                q.set_gamma(gm)
        self.opt.zero_grad(set_to_none=True)
        accum = self.a.grad_accum
        loss = 0
        for k in range(accum):
            index = 0 if self.a.fixed_batch else step * accum + k
            loss = loss + self.micro_step(index, 1.0 / accum)
        norm = torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        finite = bool(torch.isfinite(norm))  # one host sync per step (the Java reads the norm too)
        if finite:
            self.opt.step()
        return float(loss) / accum, float(norm), finite


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run(name, a, device):
    height = a.height or DEFAULT_SIZE[name][0]
    width = a.width or DEFAULT_SIZE[name][1]
    work = Workload(name, a.frames, height, width)
    t0 = time.perf_counter()
    tr_ = Trainer(work, a, device)
    sync(device)
    setup_s = time.perf_counter() - t0
    times, losses, norms, skipped = [], [], [], 0
    for i in range(a.warmup + a.steps):
        if i == a.warmup and device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        sync(device)
        t0 = time.perf_counter()
        loss, norm, finite = tr_.step(i)
        sync(device)
        dt = time.perf_counter() - t0
        losses.append(loss)
        norms.append(norm)
        skipped += not finite
        if i >= a.warmup:
            times.append(dt)
    sec_step = statistics.median(times)
    sec_sample = sec_step / a.grad_accum
    batch, steps = RECIPE[name]
    layers = len(tr_.student.blocks)
    days = sec_sample * batch * steps / 86400
    trainable = sum(p.numel() for p in tr_.params)
    gib = float(1 << 30)
    res = {
        "model": name, "frames": a.frames, "height": height, "width": width,
        "latent_shape": [1] + list(work.latent), "video_tokens": work.video_tokens, "text_tokens": work.text_len,
        "layers": layers, "bits": a.bits, "precision": a.precision, "grad_accum": a.grad_accum,
        "steps": a.steps, "warmup": a.warmup, "optimizer": "AdamW " + tr_.opt_impl,
        "sec_per_step_median": sec_step, "sec_per_step_all": times, "sec_per_sample": sec_sample,
        "setup_s": setup_s, "quantized_linears": len(tr_.quantized),
        "params_model": tr_.model_params, "params_trainable": trainable,
        "params_by_group": {g["name"]: sum(p.numel() for p in g["params"]) for g in tr_.groups},
        "losses": losses, "grad_norms": norms, "skipped_steps": skipped,
        "finite": all(math.isfinite(x) for x in losses),
        "recipe": {"batch": batch, "steps": steps}, "projected_gpu_days": days,
        "device": str(device), "torch": torch.__version__,
    }
    if layers < FULL_LAYERS:
        # crude: everything scaled as if it grew with depth (blocks dominate the step)
        res["projected_gpu_days_full_depth_linear"] = days * FULL_LAYERS / layers
    if device.type == "cuda":
        res["gpu"] = torch.cuda.get_device_name(device)
        res["peak_allocated_gib"] = torch.cuda.max_memory_allocated(device) / gib
        res["peak_reserved_gib"] = torch.cuda.max_memory_reserved(device) / gib
    else:
        # no device allocator to ask: the process's peak resident set (KiB on Linux), over the run
        res["peak_allocated_gib"] = res["peak_reserved_gib"] = None
        res["host_peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20)
    mem = ("peak %.2f GiB allocated / %.2f reserved" % (res["peak_allocated_gib"], res["peak_reserved_gib"])
           if device.type == "cuda" else "host peak RSS %.2f GiB" % res["host_peak_rss_gib"])
    print("%s %s %s: %.3f s/step (accum %d) = %.3f s/sample, %s, %d tokens, %d QVGen linears, "
          "%.3g M params, loss %s, projected %.3g GPU-days (%d x %d)"
          % (name, a.bits, a.precision, sec_step, a.grad_accum, sec_sample, mem, work.video_tokens,
             len(tr_.quantized), tr_.model_params / 1e6, " ".join("%.4g" % x for x in losses), days, batch, steps),
          flush=True)
    del tr_
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return res


# ----------------------------------------------------------------------------------- self-check


def rel_l2(a, b):
    a, b = a.double(), b.double()
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


def grads(params):
    return [torch.zeros_like(p) if p.grad is None else p.grad.detach().clone() for p in params]


def flat(gs):
    return torch.cat([g.reshape(-1).double() for g in gs])


def check(name, a, device):
    """On a tiny config (2 blocks, 1 frame, 16 x 32): the gradients of a micro-batch with per-block
    checkpointing against those without it, and gradient accumulation (two micro-batches at 1/2
    each) against the mean of the two computed apart. Relative L2 over all gradients < 1e-5."""
    b = argparse.Namespace(**vars(a))
    b.layers, b.frames, b.height, b.width = min(a.layers or 2, 2), 1, 16, 32
    work = Workload(name, b.frames, b.height, b.width)
    tr_ = Trainer(work, b, device)
    params = tr_.params
    out = {"model": name}

    def one(index, ckpt, scale=1.0, zero=True):
        for m in tr_.student.blocks:
            m.enabled = ckpt
        if zero:
            tr_.opt.zero_grad(set_to_none=True)
        tr_.micro_step(index, scale)

    # that checkpointing is really on: a checkpointed block runs its forward twice per micro-batch
    calls = [0]
    hooks = [m.block.register_forward_pre_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
             for m in tr_.student.blocks]
    one(0, True)
    g_ck = grads(params)
    out["block_forwards_checkpointed"], calls[0] = calls[0], 0
    one(0, False)
    g_plain = grads(params)
    out["block_forwards_plain"] = calls[0]
    for h in hooks:
        h.remove()
    out["checkpointing_rel_l2"] = rel_l2(flat(g_ck), flat(g_plain))
    out["checkpointing_worst_param_rel_l2"] = max(
        rel_l2(x, y) for x, y in zip(g_ck, g_plain) if y.norm() > 0)
    out["nonzero_grad_params"] = sum(int(y.norm() > 0) for y in g_plain)
    out["params"] = len(params)
    one(1, True)
    g1 = grads(params)
    one(0, True, 0.5)
    one(1, True, 0.5, zero=False)
    g_acc = grads(params)
    out["accumulation_rel_l2"] = rel_l2(flat(g_acc), (flat(g_ck) + flat(g1)) / 2)
    n = len(tr_.student.blocks)
    out["ok"] = (out["checkpointing_rel_l2"] < 1e-5 and out["accumulation_rel_l2"] < 1e-5
                 and out["block_forwards_checkpointed"] == 2 * n and out["block_forwards_plain"] == n)
    print(json.dumps(out), flush=True)
    return out


# ------------------------------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", nargs="+", default=list(RECIPE), choices=list(RECIPE))
    ap.add_argument("--frames", type=int, default=49)
    ap.add_argument("--height", type=int, default=None, help="default 480")
    ap.add_argument("--width", type=int, default=None, help="default Wan 832, CogVideoX 720")
    ap.add_argument("--layers", type=int, default=None, help="transformer blocks (default all 30)")
    ap.add_argument("--grad-accum", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3, help="timed optimizer steps")
    ap.add_argument("--warmup", type=int, default=1, help="untimed optimizer steps first")
    ap.add_argument("--bits", default="w4a4", choices=["w4a4", "w3a3"])
    ap.add_argument("--precision", default="lite", choices=["lite", "autocast"],
                    help="lite: float32 master weights, bf16 GEMMs and attention (the Java's); "
                    "autocast: torch.autocast(bfloat16), CUDA only for CogVideoX")
    ap.add_argument("--rank", type=int, default=32, help="Phi's initial rank")
    ap.add_argument("--clip-groups", type=int, default=50, help="timestep groups of the clip logits")
    ap.add_argument("--lr-scale", type=float, default=1.0,
                    help="multiplies every learning rate but clipping's (LearningRates.scaled)")
    ap.add_argument("--fixed-batch", action="store_true",
                    help="every micro-batch is batch 0 (to watch the loss fall in a smoke test)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--check", action="store_true",
                    help="only the tiny checkpointing / accumulation gradient self-check")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if a.grad_accum < 1 or a.steps < 1 or a.warmup < 0:
        raise SystemExit("--grad-accum and --steps must be positive, --warmup not negative")
    device = torch.device(a.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device; use --device cpu with tiny shapes for a smoke test")
    results = []
    for m in a.model:
        results.append(check(m, a, device) if a.check else run(m, a, device))
        if not a.check:
            print(json.dumps(results[-1]), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=2)
    if a.check and not all(r["ok"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
