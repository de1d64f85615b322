package dev.qvgen.layers.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * One forward pass of a block-structured network, cut at its block boundaries so that
 * {@link ActivationCheckpointing} can keep only each block's input and recompute the block during
 * the backward pass. The three stages compose to the network's ordinary forward:
 * {@code exit(block(n-1, ... block(0, enter().stream) ...), enter().shared)}.
 *
 * <p>The <em>stream</em> is what flows from block to block (a transformer's tokens; CogVideoX
 * carries its text tokens beside them); the <em>shared</em> inputs are made once before the
 * blocks and read by every block and by the exit (a timestep embedding, projected text states).
 * Constants that need no gradient (position tables) stay inside the implementation. Each stage
 * must compute the same values every time it is called with the same inputs (no randomness), since
 * the backward pass calls {@link #enter} and {@link #block} a second time.
 */
public interface Blockwise {
    /** What enters block 0 and what every block reads. */
    record Entry(NDList stream, NDList shared) {}

    int blocks();

    /** The layers before the blocks, from the forward's own inputs. */
    Entry enter();

    /** Block {@code index}: the stream after it. */
    NDList block(int index, NDList stream, NDList shared);

    /** The layers after the blocks: the network's output. */
    NDArray exit(NDList stream, NDList shared);

    /**
     * The ordinary forward through the stages, {@code observer} (may be null) seeing each block's
     * first output. Each block's input is closed once the block has run, as eager PyTorch frees
     * it; DJL would otherwise hold every block's input to the end of the forward (5.5 GiB at
     * Wan2.1-1.3B's published size). Closing a handle does not free what autograd saved.
     */
    default NDArray forward(java.util.function.BiConsumer<Integer, NDArray> observer) {
        Entry e = enter();
        NDList stream = e.stream();
        for (int i = 0; i < blocks(); i++) {
            NDList in = stream;
            stream = block(i, in, e.shared());
            if (observer != null) {
                observer.accept(i, stream.get(0));
            }
            in.close();
        }
        return exit(stream, e.shared());
    }

    /** These stages with every linear product and attention in bfloat16 ({@link dev.qvgen.layers.nn.Autocast}). */
    default Blockwise withBf16Products() {
        Blockwise inner = this;
        return new Blockwise() {
            @Override
            public int blocks() {
                return inner.blocks();
            }

            @Override
            public Entry enter() {
                try (var bf16 = dev.qvgen.layers.nn.Autocast.bf16()) {
                    return inner.enter();
                }
            }

            @Override
            public NDList block(int index, NDList stream, NDList shared) {
                try (var bf16 = dev.qvgen.layers.nn.Autocast.bf16()) {
                    return inner.block(index, stream, shared);
                }
            }

            @Override
            public NDArray exit(NDList stream, NDList shared) {
                try (var bf16 = dev.qvgen.layers.nn.Autocast.bf16()) {
                    return inner.exit(stream, shared);
                }
            }
        };
    }
}
