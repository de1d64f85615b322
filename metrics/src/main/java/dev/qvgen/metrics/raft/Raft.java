package dev.qvgen.metrics.raft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.qvgen.layers.weights.TorchPickle;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.RenamedWeights;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.nn.Module;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * RAFT (Teed and Deng, 2020), the full model of {@code core/raft.py} as VBench's dynamic_degree
 * runs it: {@code small=False, mixed_precision=False, alternate_corr=False}, eval mode, float32.
 * Child names follow the reference, so {@code raft-things.pth} loads once its DataParallel
 * {@code module.} prefix is dropped (VBench does the same).
 */
public final class Raft extends Module {
    static final int HIDDEN_DIM = 128;
    static final int CONTEXT_DIM = 128;

    private final BasicEncoder fnet;
    private final BasicEncoder cnet;
    private final BasicUpdateBlock updateBlock;

    public Raft() {
        fnet = child("fnet", new BasicEncoder(256, Norm2d.NormKind.INSTANCE));
        cnet = child("cnet", new BasicEncoder(HIDDEN_DIM + CONTEXT_DIM, Norm2d.NormKind.BATCH));
        updateBlock = child("update_block", new BasicUpdateBlock(CorrBlock.PLANES));
    }

    /**
     * Reads a torch.save state dict (keys optionally prefixed {@code module.}); arrays are
     * attached to {@code manager}.
     *
     * @throws CheckpointException naming the file and tensor for a missing file, missing or
     *         misshapen tensors, or unexpected ones
     */
    public static Raft load(Path weights, NDManager manager) {
        if (!Files.isRegularFile(weights)) {
            throw new CheckpointException(weights + ": RAFT weights file not found");
        }
        Raft raft = new Raft();
        try (TorchPickle raw = TorchPickle.open(weights)) {
            // DataParallel's prefix dropped, as VBench's k.replace('module.', '')
            WeightSource ckpt = RenamedWeights.withoutPrefix(raw, "module.");
            // BatchNorm step counters are unused in eval mode; downsample.1 is norm3 under a second name.
            Set<String> skipped = ckpt.names().stream()
                    .filter(n -> n.endsWith(".num_batches_tracked") || n.contains(".downsample.1."))
                    .collect(Collectors.toSet());
            WeightLoader.load(raft, ckpt, manager, skipped);
        }
        return raft;
    }

    /** Flow at 1/8 resolution and its convex upsampling to full resolution ({@code test_mode=True}). */
    public record Flow(NDArray low, NDArray up) {}

    /**
     * RAFT's forward in test mode.
     *
     * @param image1 (1, 3, H, W) RGB in 0..255, H and W multiples of 8 (see {@link dev.qvgen.metrics.ops.ReplicatePadder})
     * @param image2 the next frame, same shape
     * @param iters  refinement iterations (VBench: 20)
     * @return flows attached to image1's manager
     */
    public Flow forward(NDArray image1, NDArray image2, int iters) {
        Shape shape = image1.getShape();
        if (shape.dimension() != 4 || shape.get(0) != 1 || shape.get(1) != 3 || !shape.equals(image2.getShape())
                || shape.get(2) % 8 != 0 || shape.get(3) % 8 != 0) {
            throw new IllegalArgumentException("RAFT needs two (1, 3, H, W) images with H, W multiples of 8, got "
                    + shape + " and " + image2.getShape());
        }
        if (iters < 1) {
            throw new IllegalArgumentException("RAFT needs at least one refinement iteration, got " + iters);
        }
        try (NDScope scope = new NDScope()) {
            NDArray im1 = normalise(image1);
            NDArray im2 = normalise(image2);
            NDList fmaps = fnet.forward(im1.concat(im2, 0)).split(2, 0);
            CorrBlock corr = new CorrBlock(fmaps.get(0), fmaps.get(1));
            NDList context = cnet.forward(im1).split(new long[] {HIDDEN_DIM}, 1);
            NDArray net = context.get(0).tanh();
            NDArray inp = Activation.relu(context.get(1));

            NDArray coords0 = coordsGrid(image1.getManager(), (int) shape.get(2) / 8, (int) shape.get(3) / 8);
            NDArray coords1 = coords0;
            NDArray mask = null;
            for (int i = 0; i < iters; i++) {
                try (NDScope step = new NDScope()) {
                    NDArray features = corr.lookup(coords1);
                    NDArray flow = coords1.sub(coords0);
                    boolean last = i == iters - 1;
                    NDArray[] out = updateBlock.forward(net, inp, features, flow, last);
                    NDArray nextCoords = coords1.add(out[2]);
                    NDScope.unregister(out[0], nextCoords);
                    if (last) {
                        NDScope.unregister(out[1]);
                        mask = out[1];
                    }
                    if (i > 0) {
                        // the previous step's survivors; step 0 read the outer scope's arrays
                        net.close();
                        coords1.close();
                    }
                    net = out[0];
                    coords1 = nextCoords;
                }
            }
            NDArray low = coords1.sub(coords0);
            // Only the last iteration's upsampled flow is returned in test mode.
            NDArray up = upsampleFlow(low, mask);
            NDScope.unregister(low, up);
            net.close();
            mask.close();
            coords1.close();
            return new Flow(low, up);
        }
    }

    private static NDArray normalise(NDArray image) {
        return image.div(255f).mul(2f).sub(1f);
    }

    /** (1, 2, h, w): channel 0 is x (column), channel 1 is y (row). */
    static NDArray coordsGrid(NDManager manager, int h, int w) {
        NDArray xs = manager.arange(0f, (float) w, 1f, DataType.FLOAT32).reshape(1, w).broadcast(h, w);
        NDArray ys = manager.arange(0f, (float) h, 1f, DataType.FLOAT32).reshape(h, 1).broadcast(h, w);
        return NDArrays.stack(new NDList(xs, ys), 0).expandDims(0);
    }

    /**
     * Convex upsampling: each full-resolution flow vector is a softmax-weighted combination of
     * the 3x3 neighbourhood of 8x the coarse flow, with weights from the 576-channel mask.
     */
    static NDArray upsampleFlow(NDArray flow, NDArray mask) {
        Shape s = flow.getShape();
        long n = s.get(0);
        long h = s.get(2);
        long w = s.get(3);
        NDArray weights = mask.reshape(n, 1, 9, 8, 8, h, w).softmax(2);
        NDArray padded = flow.mul(8f).pad(new Shape(1, 1, 1, 1), 0);
        NDList taps = new NDList();
        for (int ki = 0; ki < 3; ki++) {
            for (int kj = 0; kj < 3; kj++) {
                taps.add(padded.get(":, :, " + ki + ":" + (ki + h) + ", " + kj + ":" + (kj + w)));
            }
        }
        NDArray unfolded = NDArrays.stack(taps, 2).reshape(n, 2, 9, 1, 1, h, w);
        NDArray up = weights.mul(unfolded).sum(new int[] {2});
        return up.transpose(0, 1, 4, 2, 5, 3).reshape(n, 2, 8 * h, 8 * w);
    }
}
