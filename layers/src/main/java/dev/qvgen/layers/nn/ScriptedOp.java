package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;


/**
 * One PyTorch op that DJL 0.36 has no binding for, reached through a tiny committed TorchScript
 * module (resources next to this class, made by {@code layers/scripts/make_scripted_ops.py}).
 *
 * <p>Spelled with DJL's elementwise ops, such an op costs one full pass over the tensor per op;
 * through its module it is PyTorch's single kernel, the one eager PyTorch runs. Measured on an
 * H200 at Wan2.1-1.3B's published size (bench/op_costs.py): GELU(tanh) 2.90 ms as DJL ops vs
 * 0.33 ms fused, RMSNorm 0.36 vs 0.08 ms, together about 90 ms of an 815 ms forward.
 *
 * <p>Each module is loaded once, on first use; when it cannot be loaded (another engine, a
 * libtorch that rejects the file) {@link #available()} is false with {@link #unavailableReason()},
 * and callers fall back to their DJL spelling. The system property {@code qvgen.scripted=false}
 * turns GELU's and RMSNorm's modules off, to compare the two spellings.
 */
public enum ScriptedOp {
    /** {@code F.scaled_dot_product_attention(q, k, v)} on (B, H, L, D). */
    SDPA("sdpa"),
    /** {@code F.gelu(x, approximate="tanh")}. */
    GELU_TANH("gelu_tanh"),
    /** {@code F.rms_norm(x, [x.size(-1)], weight, eps)}, eps as a CPU scalar tensor. */
    RMS_NORM("rms_norm"),
    /** {@code x.to(torch.bfloat16)}: the only way DJL 0.36 gets a bfloat16 tensor (see {@link Precision}). */
    TO_BF16("to_bf16"),
    /** {@code x.to(like.dtype)}: a cast to a type DJL cannot name (bfloat16). */
    TYPE_AS("type_as");

    private final TorchScriptResource script;

    ScriptedOp(String file) {
        this.script = new TorchScriptResource(ScriptedOp.class, file, null);
    }

    /** Whether the module loaded and is switched on. */
    public boolean available() {
        if ((this == GELU_TANH || this == RMS_NORM) && "false".equalsIgnoreCase(System.getProperty("qvgen.scripted"))) {
            return false;
        }
        return script.block() != null;
    }

    /** Why the module cannot be used, or null if it can. */
    public String unavailableReason() {
        if (available()) {
            return null;
        }
        return script.error() != null ? script.error() : "switched off by -Dqvgen.scripted=false";
    }

    /** Runs the op; its result lives in the first input's manager. */
    public NDArray apply(NDArray... inputs) {
        // training=true: the module runs without DJL's inference guard, so autograd records it
        // when the inputs require gradients (none of these ops behaves differently in training).
        return script.apply(true, inputs);
    }
}
