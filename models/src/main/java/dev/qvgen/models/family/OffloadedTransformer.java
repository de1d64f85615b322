package dev.qvgen.models.family;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.train.BlockResidency;
import dev.qvgen.layers.train.Blockwise;
import dev.qvgen.layers.train.HostOffload;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A frozen transformer (a distillation teacher) whose weights stay in host memory: its forward
 * walks the model's own block cut ({@link DenoisingTransformer#blockwise}) and copies each unit's
 * weights to the device right before that unit runs and frees them right after ({@link
 * HostOffload}), so the device holds one unit of it at a time. The units are the blocks and the
 * layers before and after them (embeddings, output norm and projection: moved in for the entry
 * and again for the exit, since at Wan2.1-14B's size they are 0.7 of a block, not negligible).
 * The values are those of the ordinary forward: the same stages on copies of the same weights.
 */
public final class OffloadedTransformer implements DenoisingTransformer {
    private final DenoisingTransformer inner;
    private final HostOffload offload;

    private OffloadedTransformer(DenoisingTransformer inner, HostOffload offload) {
        this.inner = inner;
        this.offload = offload;
    }

    /**
     * Offloads {@code t}, whose parameters are in host memory now, to run on {@code device}.
     *
     * @throws IllegalArgumentException if {@code t} cannot be cut at its blocks
     */
    public static OffloadedTransformer of(DenoisingTransformer t, Device device, HostOffload.Transfer transfer) {
        if (!t.cutsAtBlocks()) {
            throw new IllegalArgumentException(t.getClass().getSimpleName() + " cannot be cut at its blocks");
        }
        Map<Parameter, Integer> unitOf = new IdentityHashMap<>();
        t.module().namedParameters().forEach((name, p) -> {
            if (p.getArray() != null) {
                unitOf.put(p, BlockResidency.unitOf(name, t.blockPrefixes()));
            }
        });
        return new OffloadedTransformer(t, new HostOffload(unitOf, device, transfer));
    }

    /** What is resident and what was moved (counters for logs and tests). */
    public HostOffload offload() {
        return offload;
    }

    @Override
    public NDArray forward(NDArray latents, NDArray timesteps, NDArray text) {
        Blockwise net = inner.blockwise(latents, timesteps, text);
        try {
            offload.materialise(BlockResidency.ENTRY_EXIT);
            Blockwise.Entry e = net.enter();
            offload.release(BlockResidency.ENTRY_EXIT);
            NDList stream = e.stream();
            for (int i = 0; i < net.blocks(); i++) {
                NDList in = stream;
                offload.materialise(i);
                stream = net.block(i, in, e.shared());
                offload.release(i);
                in.close(); // as Blockwise.forward: eager PyTorch frees a block's input once it has run
            }
            offload.materialise(BlockResidency.ENTRY_EXIT);
            NDArray out = net.exit(stream, e.shared());
            offload.release(BlockResidency.ENTRY_EXIT);
            return out;
        } finally {
            offload.close(); // after a failure too: no device copy outlives the forward
        }
    }

    @Override
    public Blockwise blockwise(NDArray latents, NDArray timesteps, NDArray text) {
        return null; // a teacher is only run forward; training it block by block is not offered
    }

    @Override
    public List<String> blockPrefixes() {
        return inner.blockPrefixes();
    }

    @Override
    public dev.qvgen.layers.nn.Module module() {
        return inner.module();
    }
}
