package dev.qvgen.layers.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Per-block activation checkpointing (what {@code torch.utils.checkpoint} does per block in the
 * official training): the forward keeps only each block's input stream; the backward runs from
 * the last block to the first, recomputing one block at a time with its input as a fresh leaf and
 * back-propagating the gradient that arrived at its output. So the memory of autograd's saved
 * activations is one block's instead of all of them, for one extra forward of the blocks.
 *
 * <p>The gradient of the shared inputs (e.g. a timestep embedding every block reads) is the sum
 * of what each block and the exit send back, handed to the entry stage's recomputation at the end:
 * the parameter gradients are those of the ordinary backward up to the order of float additions.
 * DJL's engine-neutral API has no custom autograd function, so a block's backward is driven by
 * the surrogate {@code sum(output * incoming gradient)}, whose gradient is exactly the incoming one.
 */
public final class ActivationCheckpointing {
    private ActivationCheckpointing() {}

    /**
     * Forward and backward of {@code net} under {@code gc}; gradients add up in the parameters.
     *
     * @param loss the scalar to minimise, from the network's output
     * @param gradientScale the factor of the gradient (e.g. 1 / micro-batches per step)
     * @return the loss's value (unscaled)
     */
    public static float backward(Blockwise net, Function<NDArray, NDArray> loss, float gradientScale,
            GradientCollector gc) {
        return backward(net, loss, gradientScale, gc, BlockResidency.RESIDENT);
    }

    /**
     * {@link #backward(Blockwise, Function, float, GradientCollector)} telling {@code residency}
     * when each block's parameters are needed and when its gradients are complete (weight
     * sharding gathers and releases them there).
     */
    public static float backward(Blockwise net, Function<NDArray, NDArray> loss, float gradientScale,
            GradientCollector gc, BlockResidency residency) {
        int n = net.blocks();
        List<NDList> inputs = new ArrayList<>(n + 1);
        NDList shared;
        residency.materialise(BlockResidency.ENTRY_EXIT);
        try (NDScope scope = new NDScope()) {
            Blockwise.Entry e = net.enter();
            inputs.add(kept(e.stream()));
            shared = kept(e.shared());
        }
        try {
            for (int i = 0; i < n; i++) {
                residency.materialise(i);
                try (NDScope scope = new NDScope()) {
                    inputs.add(kept(net.block(i, inputs.get(i), shared)));
                }
                residency.afterForward(i);
            }
            float value;
            NDList grad;
            NDList sharedGrad;
            try (NDScope scope = new NDScope()) {
                NDList stream = leaves(inputs.get(n));
                NDList sh = leaves(shared);
                NDArray l = loss.apply(net.exit(stream, sh));
                value = l.getFloat();
                gc.backward(gradientScale == 1f ? l : dev.qvgen.layers.nn.Scalars.mul(l, gradientScale));
                grad = gradients(stream);
                sharedGrad = gradients(sh);
            }
            close(inputs.set(n, null));
            for (int i = n - 1; i >= 0; i--) {
                residency.materialise(i);
                try (NDScope scope = new NDScope()) {
                    NDList stream = leaves(inputs.get(i));
                    NDList sh = leaves(shared);
                    gc.backward(surrogate(net.block(i, stream, sh), grad));
                    close(grad);
                    grad = gradients(stream);
                    NDList summed = new NDList();
                    NDList fromBlock = gradients(sh);
                    for (int j = 0; j < sharedGrad.size(); j++) {
                        summed.add(kept(sharedGrad.get(j).add(fromBlock.get(j))));
                    }
                    close(sharedGrad);
                    close(fromBlock);
                    sharedGrad = summed;
                }
                close(inputs.set(i, null));
                residency.afterBackward(i);
            }
            try (NDScope scope = new NDScope()) {
                Blockwise.Entry e = net.enter();
                NDArray s = surrogate(e.stream(), grad);
                if (!e.shared().isEmpty()) {
                    s = s.add(surrogate(e.shared(), sharedGrad));
                }
                gc.backward(s);
            }
            residency.afterBackward(BlockResidency.ENTRY_EXIT);
            close(grad);
            close(sharedGrad);
            return value;
        } finally {
            inputs.forEach(ActivationCheckpointing::close);
            close(shared);
        }
    }

    /** {@code sum_j sum(outputs_j * grads_j)}: its gradient w.r.t. outputs_j is grads_j. */
    private static NDArray surrogate(NDList outputs, NDList grads) {
        NDArray s = null;
        for (int j = 0; j < outputs.size(); j++) {
            NDArray g = grads.get(j);
            NDArray o = outputs.get(j);
            NDArray term = o.mul(g.getDataType() == o.getDataType() ? g : g.toType(o.getDataType(), false)).sum();
            s = s == null ? term : s.add(term);
        }
        return s;
    }

    /** Detached copies (sharing storage) that outlive the enclosing scope. */
    private static NDList kept(NDList xs) {
        NDList out = new NDList(xs.size());
        for (NDArray x : xs) {
            out.add(kept(x));
        }
        return out;
    }

    private static NDArray kept(NDArray x) {
        NDArray d = x.stopGradient();
        NDScope.unregister(d);
        return d;
    }

    /** Fresh leaves over the same storage, asking for their gradient. */
    private static NDList leaves(NDList xs) {
        NDList out = new NDList(xs.size());
        for (NDArray x : xs) {
            NDArray leaf = x.stopGradient();
            leaf.setRequiresGradient(true);
            out.add(leaf);
        }
        return out;
    }

    /** The gradients of leaves after a backward (zeros where none arrived), kept past the scope. */
    private static NDList gradients(NDList leaves) {
        NDList out = new NDList(leaves.size());
        for (NDArray leaf : leaves) {
            NDArray g = leaf.getGradient();
            NDScope.unregister(g);
            out.add(g);
        }
        return out;
    }

    private static void close(NDList xs) {
        if (xs != null) {
            xs.forEach(NDArray::close);
        }
    }
}
