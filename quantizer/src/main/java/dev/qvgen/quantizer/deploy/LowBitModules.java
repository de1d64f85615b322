package dev.qvgen.quantizer.deploy;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.TorchScriptResource;


/**
 * The TorchScript modules of the real low-bit path on CUDA (resources next to this class, made on
 * the GPU machine by {@code quantizer/scripts/make_lowbit_modules.py}). They call the
 * {@code qvgen_lowbit} ops, so libtorch must have loaded {@code libqvgen_lowbit.so} first: DJL
 * does so when {@code PYTORCH_EXTRA_LIBRARY_PATH} names it (built by
 * {@code quantizer/scripts/lowbit_ops.py --build}). Loaded once, on first use, like
 * {@code models.nn.ScriptedOp}; when a module cannot be loaded, {@link #unavailableReason()} says why.
 */
public enum LowBitModules {
    /** The whole linear: activation codes, FP8 or int8 GEMM, correction, bias. */
    LINEAR("lowbit_linear"),
    /** LINEAR's activation quantizer alone: (codes, per-token step, correction terms) of x. */
    ACT_QUANT("lowbit_act_quant"),
    /** LINEAR after its quantizer: ACT_QUANT's outputs times one layer's weight codes. */
    MATMUL("lowbit_matmul"),
    /** {@code codes.to(torch.float8_e4m3fn)}: DJL 0.36 cannot name a float8 type. */
    INT8_TO_FP8("int8_to_fp8");

    private final TorchScriptResource script;

    LowBitModules(String file) {
        this.script = new TorchScriptResource(LowBitModules.class, file,
                "made on a GPU machine by quantizer/scripts/make_lowbit_modules.py");
    }

    public boolean available() {
        return script.block() != null;
    }

    public String unavailableReason() {
        return available() ? null : script.error();
    }

    public NDArray apply(NDArray... inputs) {
        return script.apply(false, inputs);
    }

    public ai.djl.ndarray.NDList applyList(NDArray... inputs) {
        return script.applyList(false, inputs);
    }
}
