"""Golden fixture for the QAT classes of dev.qvgen.quantizer.qat against ModelTC/QVGen's own code.

Imports training/quant/quant.py from a checkout of https://github.com/ModelTC/QVGen (made with
commit 198e761f770fa0728e21da5e76b8198e41cbaf3b) and runs its QuantLinear with the weight
quantizer the official recipe uses with Φ ("progressive_lora" = LSQ+ per output channel, MSE
initial range, gradient scaling, STE; Φ = L R from the SVD of W - Q(W)) and the activation
quantizer "learnable_clipped_dynamic" (per token, clip ratio 0.95 * sigmoid(logit), one pair of
logits per timestep group), configured as script/train/w4a4_wan_1-3b.sh and training/trainer.py
configure them (progress_iter 1, warm_up 0, cosine alpha), on a small layer with fixed inputs:

  * init.<bits>.*: the MSE-searched step size and zero point, Φ's initial L and R (rank 8);
  * fwd.<bits>.*: with those, the output of one forward pass at timestep group 7 (clip logits
    perturbed away from their initial value so both clip ends matter) and, after one backward of
    sum(y * g) for a fixed g, the gradients of every trained tensor (W, b, step size, zero point,
    L, R, lower and upper clip logits) and of the input;
  * sched.<k>.*: a rank-decay schedule (rank 8, alpha_T 3, steps 0..13, SGD between steps so that
    the kept components are no longer in SVD form when they are re-factored): the state before
    set_alpha_L_R(k), the rank, the per-component coefficients and L, R after it, the output and
    the gradients of that step.

The QVGen code is imported from the checkout, never copied into this repository. Its module
imports accelerate's logger and the package's constants; those two are replaced by stand-ins
(a standard-library logger, FINETRAINERS_LOG_LEVEL = "WARNING") that play no part in the maths.

Usage: /usr/bin/python3 make_fixture.py <qvgen_checkout> <out_dir>
  (made with Debian's python3-torch 1.13.0 on CPU, float32)
Writes golden.safetensors (float32) and golden.json (configuration and per-step ranks/alphas).
"""
import importlib.util, json, logging, math, os, struct, sys, types

import torch

src, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
torch.manual_seed(0)
torch.set_num_threads(1)

# --- stand-ins for the two imports that are not quantization code -------------------------------
acc = types.ModuleType("accelerate")
acc_log = types.ModuleType("accelerate.logging")
acc_log.get_logger = lambda name: logging.getLogger(name)
acc.logging = acc_log
sys.modules["accelerate"], sys.modules["accelerate.logging"] = acc, acc_log
pkg = types.ModuleType("qvgen_training")
pkg.__path__ = [os.path.join(src, "training")]
sys.modules["qvgen_training"] = pkg
consts = types.ModuleType("qvgen_training.constants")
consts.FINETRAINERS_LOG_LEVEL = "WARNING"
sys.modules["qvgen_training.constants"] = consts
sub = types.ModuleType("qvgen_training.quant")
sub.__path__ = [os.path.join(src, "training", "quant")]
sys.modules["qvgen_training.quant"] = sub
spec = importlib.util.spec_from_file_location("qvgen_training.quant.quant",
                                              os.path.join(src, "training", "quant", "quant.py"))
Q = importlib.util.module_from_spec(spec)
sys.modules["qvgen_training.quant.quant"] = Q
spec.loader.exec_module(Q)

OUT, IN, RANK, GROUPS, GROUP, ALPHA_T, STEPS = 16, 24, 8, 10, 7, 3, 14
tensors, gold = {}, {"config": {"out": OUT, "in": IN, "rank": RANK, "groups": GROUPS, "group": GROUP,
                                "alpha_T": ALPHA_T, "steps": STEPS, "clip_ratio": 0.95,
                                "qvgen_commit": "198e761f770fa0728e21da5e76b8198e41cbaf3b",
                                "torch": torch.__version__}}


def layer(bits):
    """QuantLinear as training/trainer.py builds it (q_params copied from prepare_quantized_model)."""
    lin = torch.nn.Linear(IN, OUT, bias=True)
    with torch.no_grad():
        lin.weight.copy_(W0)
        lin.bias.copy_(B0)
    q_params = {
        "w": {"bit": bits, "sym": False, "granularity": "per_channel", "cali": "mse", "group_size": -1,
              "round_zero": True, "use_grad_scaling": True, "round_func": "STE", "rank": RANK, "iters": 1,
              "cur_alpha_strategy": "cosine", "alpha_T": ALPHA_T, "warm_up": 0, "resume": False},
        "act": {"bit": bits, "sym": False, "granularity": "per_token", "cali": "minmax", "round_zero": True,
                "clip_ratio": 0.95, "round_func": "STE", "timesteps": GROUPS},
    }
    m = Q.QuantLinear(lin, {"w": "progressive_lora", "act": "learnable_clipped_dynamic"}, q_params)
    # trainer.prepare_quantized_model: initialise on the detached weight, build, switch on
    m.wquantizer(m.w.detach())
    m.wquantizer.build()
    m.aquantizer.build()
    m.set_quant_state(True, True)
    with torch.no_grad():
        m.aquantizer.lower.add_(LOWER_NOISE)
        m.aquantizer.upper.add_(UPPER_NOISE)
    return m


def trained(m):
    wq, aq = m.wquantizer, m.aquantizer
    t = {"w": m.w, "b": m.b, "scale": wq.scale, "zero": wq.zero_point, "lower": aq.lower, "upper": aq.upper}
    if hasattr(wq, "L"):
        t["L"], t["R"] = wq.L, wq.R
    return t


def alphas(wq):
    """The per-component coefficients _forward multiplies L by (all ones before any set_alpha_L_R)."""
    if not hasattr(wq, "L"):
        return []
    n = wq.L.shape[1]
    if not hasattr(wq, "alpha"):
        return [1.0] * n
    a = [wq.alpha] * wq.rank + [0.0] * (n - wq.rank)
    if wq.rank >= 2:
        a[: wq.rank // 2] = [1.0] * (wq.rank // 2)
    return [float(v) for v in a]


def step(m, prefix):
    """One forward at GROUP (set_idx as the trainer does: t mod G) and the backward of sum(y * g)."""
    x = X.clone().requires_grad_(True)
    m.aquantizer.set_idx(torch.tensor([GROUP]))
    for p in trained(m).values():
        p.grad = None
    y = m(x)
    (y * G).sum().backward()
    tensors[prefix + "y"] = y.detach().clone()
    tensors[prefix + "grad.x"] = x.grad.clone()
    for k, p in trained(m).items():
        tensors[prefix + "grad." + k] = (p.grad if p.grad is not None else torch.zeros_like(p)).clone()


W0 = torch.randn(OUT, IN) * 0.2
B0 = torch.randn(OUT) * 0.1
X = torch.randn(2, 4, IN)
X[1, 2] *= 4  # one token with a wide range, so per-token ranges differ
G = torch.randn(2, 4, OUT)
LOWER_NOISE = torch.randn(GROUPS) * 0.5
UPPER_NOISE = torch.randn(GROUPS) * 0.5
tensors.update({"w0": W0, "b0": B0, "x": X, "g": G})

for bits in (3, 4):
    m = layer(bits)
    p = f"init.w{bits}."
    tensors[p + "scale"], tensors[p + "zero"] = m.wquantizer.scale.detach().clone(), m.wquantizer.zero_point.detach().clone()
    tensors[p + "L"], tensors[p + "R"] = m.wquantizer.L.detach().clone(), m.wquantizer.R.detach().clone()
    tensors[p + "lower"], tensors[p + "upper"] = m.aquantizer.lower.detach().clone(), m.aquantizer.upper.detach().clone()
    m.wquantizer.set_alpha_L_R(0)  # the trainer calls it before every step; at step 0 alpha = 1
    step(m, f"fwd.w{bits}.")

# the schedule, at W3A3
m = layer(3)
params = list(trained(m).values())
ranks, alpha_log = [], []
for k in range(STEPS):
    for name, t in trained(m).items():
        tensors[f"sched.{k}.before.{name}"] = t.detach().clone()
    m.wquantizer.set_alpha_L_R(k)
    ranks.append(int(m.wquantizer.rank) if hasattr(m.wquantizer, "L") else 0)
    alpha_log.append(alphas(m.wquantizer))
    if hasattr(m.wquantizer, "L"):
        tensors[f"sched.{k}.after.L"] = m.wquantizer.L.detach().clone()
        tensors[f"sched.{k}.after.R"] = m.wquantizer.R.detach().clone()
    step(m, f"sched.{k}.")
    with torch.no_grad():
        for name, t in trained(m).items():
            if t.grad is not None:
                # large steps for Φ so that its kept half is far from SVD form at the next boundary
                t -= (0.5 if name in ("L", "R") else 0.01) * t.grad
gold["schedule"] = {"rank": ranks, "alpha": alpha_log}


def save_safetensors(path, ts):
    header, blobs, off = {}, [], 0
    for k, t in ts.items():
        a = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(a)]}
        blobs.append(a)
        off += len(a)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


save_safetensors(os.path.join(out_dir, "golden.safetensors"), tensors)
with open(os.path.join(out_dir, "golden.json"), "w") as f:
    json.dump(gold, f, indent=1)
print("ranks", ranks)
print(len(tensors), "tensors")
