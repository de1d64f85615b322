package dev.qvgen.metrics.raft;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.qvgen.metrics.ops.OwnedManager;
import dev.qvgen.metrics.ops.ReplicatePadder;
import dev.qvgen.metrics.ops.RgbFrames;
import dev.qvgen.metrics.vbench.OpticalFlow;
import dev.qvgen.video.DecodedVideo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * RAFT flow as VBench's dynamic_degree computes it: each pair of RGB frames (0..255 floats) is
 * padded by {@link ReplicatePadder} (sintel mode: multiples of 8), run with {@code iters=20, test_mode=True}, and the
 * magnitude of the upsampled flow is taken over the whole padded frame.
 */
public final class RaftFlow implements OpticalFlow, AutoCloseable {
    public static final String NAME = "raft";
    public static final int ITERS = 20;
    /** InputPadder in sintel mode pads to multiples of 8. */
    public static final int PAD_DIVISOR = 8;
    /** Below this padded side RAFT's 4th pyramid level is empty and PyTorch's avg_pool2d fails. */
    static final int MIN_PADDED_SIDE = 64;

    private final NDManager manager;
    private final Raft raft;
    private final String weightsName;

    private RaftFlow(NDManager manager, Raft raft, String weightsName) {
        this.manager = manager;
        this.raft = raft;
        this.weightsName = weightsName;
    }

    /**
     * @param weights a torch.save state dict of the full RAFT model, e.g. VBench's raft-things.pth
     * @throws dev.qvgen.layers.io.CheckpointException naming the file when it cannot be used
     */
    public static RaftFlow load(Path weights) {
        return load(weights, Device.cpu());
    }

    /** {@link #load(Path)} onto {@code device}, where the frames are then put too. */
    public static RaftFlow load(Path weights, Device device) {
        return OwnedManager.build(device,
                manager -> new RaftFlow(manager, Raft.load(weights, manager), weights.getFileName().toString()));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String parameters() {
        return "model=raft(full),weights=" + weightsName + ",iters=" + ITERS + ",padding=sintel-replicate";
    }

    /**
     * @throws IllegalArgumentException for frames of 56 px or less on a side, on which VBench's
     *         RAFT fails as well
     */
    @Override
    public List<float[]> pairMagnitudes(DecodedVideo video, List<Integer> frames) {
        ReplicatePadder padder = new ReplicatePadder(video.height(), video.width(), PAD_DIVISOR);
        if (padder.paddedHeight() < MIN_PADDED_SIDE || padder.paddedWidth() < MIN_PADDED_SIDE) {
            throw new IllegalArgumentException("RAFT needs frames larger than 56 px a side, got " + video.width()
                    + "x" + video.height());
        }
        List<float[]> out = new ArrayList<>();
        if (frames.size() < 2) {
            return out;
        }
        for (int i = 1; i < frames.size(); i++) {
            // one manager per pair: every array of the pass is freed before the next
            try (NDManager step = manager.newSubManager()) {
                NDArray image1 = padder.pad(frame(step, video, frames.get(i - 1)));
                NDArray image2 = padder.pad(frame(step, video, frames.get(i)));
                out.add(magnitudes(raft.forward(image1, image2, ITERS).up()));
            }
        }
        return out;
    }

    /** Row-major {@code np.sqrt(np.square(u) + np.square(v))} of a (1, 2, H, W) flow, in float32 as VBench. */
    static float[] magnitudes(NDArray flow) {
        NDArray u = flow.get(0, 0);
        NDArray v = flow.get(0, 1);
        return u.square().add(v.square()).sqrt().toFloatArray();
    }

    /** Frame t as (1, 3, H, W) float RGB in 0..255, the tensor VBench builds from the decoded frame. */
    static NDArray frame(NDManager manager, DecodedVideo video, int t) {
        return RgbFrames.toTensor(manager, video.rgb8(t), video.height(), video.width(), 1f);
    }

    @Override
    public void close() {
        manager.close();
    }
}
