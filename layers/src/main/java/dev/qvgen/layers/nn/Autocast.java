package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.function.Supplier;

/**
 * Mixed precision for training a float32 model, as {@code torch.autocast(dtype=bfloat16)} runs
 * one: while a scope is open on this thread, every linear product ({@link Linear#product}) and
 * attention ({@link Attention#scaledDotProduct}) on float32 operands runs in bfloat16 and returns
 * float32; norms, modulation, RoPE, residual adds and the quantizers' arithmetic stay float32.
 * The parameters stay float32 (they are the master weights the optimizer updates) and receive
 * float32 gradients through the casts. Returning float32 rather than bfloat16 (autocast's
 * choice) costs one cast per product and means no other op has to accept mixed types. Both casts
 * are the committed TorchScript ones ({@link ScriptedOp#TO_BF16}, {@link ScriptedOp#TYPE_AS}),
 * the only casts autograd sees through in DJL 0.36.
 */
public final class Autocast {
    private static final ThreadLocal<Boolean> BF16 = ThreadLocal.withInitial(() -> false);

    private Autocast() {}

    /** Turns bfloat16 products on for this thread until the scope closes. */
    public static ForwardContext.Scope bf16() {
        boolean previous = BF16.get();
        BF16.set(true);
        return () -> BF16.set(previous);
    }

    /** Whether a product on {@code operand} runs in bfloat16: a scope is open and the operand is float32. */
    static boolean applies(NDArray operand) {
        return BF16.get() && operand.getDataType() == DataType.FLOAT32;
    }

    /** {@code x} in bfloat16 (null stays null). */
    static NDArray half(NDArray x) {
        return x == null ? null : Precision.to(x, DataType.BFLOAT16);
    }

    /**
     * Runs a bfloat16 product and hands its result back in the type of {@code float32Operand},
     * freeing the temporaries. The cast back goes through the scripted cast: DJL's {@code toType}
     * runs without autograd, so the gradient would stop there.
     */
    static NDArray inFloat32(NDArray float32Operand, Supplier<NDArray> bf16Product) {
        return Scopes.scoped(() -> ScriptedOp.TYPE_AS.apply(bf16Product.get(), float32Operand));
    }
}
