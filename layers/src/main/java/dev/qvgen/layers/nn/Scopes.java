package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;

import java.util.function.Supplier;

/**
 * Runs a piece of a forward pass in its own {@link NDScope}: every array it makes is freed when
 * it returns, except its result, which moves to the enclosing scope. DJL frees nothing on its
 * own until a manager or scope closes, so without this a full-size transformer keeps every
 * block's intermediates alive to the end of the forward (tens of GiB at 32k tokens); PyTorch
 * eager frees them as their last reference drops. Closing a Java handle only drops that
 * reference: tensors autograd saved for the backward pass stay alive, so this is safe under
 * gradient recording too.
 */
public final class Scopes {
    private Scopes() {}

    public static NDArray scoped(Supplier<NDArray> f) {
        NDArray out;
        try (NDScope s = new NDScope()) {
            out = f.get();
            NDScope.unregister(out);
        }
        NDScope.register(out);
        return out;
    }

    public static NDList scopedList(Supplier<NDList> f) {
        NDList out;
        try (NDScope s = new NDScope()) {
            out = f.get();
            NDScope.unregister(out);
        }
        out.forEach(NDScope::register);
        return out;
    }
}
