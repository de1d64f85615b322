package dev.qvgen.metrics.amt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.qvgen.metrics.amt.Layers.PRelu;
import dev.qvgen.metrics.amt.Layers.Seq;
import dev.qvgen.metrics.ops.Conv;
import dev.qvgen.layers.weights.TorchPickle;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.RenamedWeights;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.nn.Module;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * AMT-S (Li et al., "AMT: All-Pairs Multi-Field Transforms for Efficient Frame Interpolation",
 * CVPR 2023), the {@code networks/AMT-S.py Model} VBench's motion_smoothness runs, with its
 * configuration {@code AMT-S.yaml}: corr_radius 3, corr_lvls 4, num_flows 3, channels
 * [20, 32, 44, 56], skip_channels 20. Eval mode, float32, {@code scale_factor=1} (what VBench
 * uses on CPU, and on a GPU for frames up to several megapixels). Child names follow the
 * reference, so the published {@code amt-s.pth} loads.
 */
public final class AmtS extends Module {
    static final int RADIUS = 3;
    static final int LEVELS = 4;
    static final int NUM_FLOWS = 3;
    static final int[] CHANNELS = {20, 32, 44, 56};
    static final int SKIP = 20;

    private final FeatureEncoder featEncoder;
    private final PyramidEncoder encoder;
    private final Decoders.Init decoder4;
    private final Decoders.Intermediate decoder3;
    private final Decoders.Intermediate decoder2;
    private final Decoders.MultiFlow decoder1;
    private final UpdateBlock update4;
    private final UpdateBlock update3;
    private final UpdateBlock update2;
    private final Conv comb0;
    private final PRelu comb1;
    private final Conv comb2;

    public AmtS() {
        featEncoder = child("feat_encoder", new FeatureEncoder(84));
        encoder = child("encoder", new PyramidEncoder(CHANNELS));
        decoder4 = child("decoder4", new Decoders.Init(CHANNELS[3], CHANNELS[2], SKIP));
        decoder3 = child("decoder3", new Decoders.Intermediate(CHANNELS[2], CHANNELS[1], SKIP));
        decoder2 = child("decoder2", new Decoders.Intermediate(CHANNELS[1], CHANNELS[0], SKIP));
        decoder1 = child("decoder1", new Decoders.MultiFlow(CHANNELS[0], SKIP, NUM_FLOWS));
        update4 = child("update4", updateBlock(44, 1));
        update3 = child("update3", updateBlock(32, 2));
        update2 = child("update2", updateBlock(20, 4));
        Seq comb = child("comb_block", new Seq());
        comb0 = comb.put(0, Conv.same3(3 * NUM_FLOWS, 6 * NUM_FLOWS));
        comb1 = comb.put(1, new PRelu(6 * NUM_FLOWS));
        comb2 = comb.put(2, Conv.same3(6 * NUM_FLOWS, 3));
    }

    private static UpdateBlock updateBlock(int cdim, int scaleFactor) {
        return new UpdateBlock(cdim, 76, 20, 64, 68, LEVELS, RADIUS, scaleFactor);
    }

    /**
     * Reads a torch.save checkpoint: the AMT trainer's {@code {'epoch', 'state_dict', 'optim'}}
     * (the published layout; only {@code state_dict} is used, as VBench does) or a bare state dict.
     *
     * @throws CheckpointException naming the file and tensor for a missing file, missing or
     *         misshapen tensors, or unexpected ones
     */
    public static AmtS load(Path weights, NDManager manager) {
        if (!Files.isRegularFile(weights)) {
            throw new CheckpointException(weights + ": AMT-S weights file not found");
        }
        AmtS model = new AmtS();
        try (TorchPickle raw = TorchPickle.open(weights)) {
            WeightLoader.load(model, new RenamedWeights(raw, stateDictNames(raw)), manager, Set.of());
        }
        return model;
    }

    /**
     * Interpolates the frame halfway between two frames ({@code embt = 1/2}, VBench's only use).
     *
     * @param img0 (1, 3, H, W) RGB in 0..1, H and W multiples of 16 (see {@link dev.qvgen.metrics.ops.ReplicatePadder})
     * @param img1 the later frame, same shape
     * @return (1, 3, H, W) in 0..1, attached to img0's manager
     */
    public NDArray interpolate(NDArray img0, NDArray img1) {
        return interpolate(img0, img1, null);
    }

    /** As {@link #interpolate(NDArray, NDArray)}, recording intermediates in {@code debug} when not null. */
    NDArray interpolate(NDArray img0, NDArray img1, Map<String, NDArray> debug) {
        Shape shape = img0.getShape();
        if (shape.dimension() != 4 || shape.get(0) != 1 || shape.get(1) != 3 || !shape.equals(img1.getShape())
                || shape.get(2) % 16 != 0 || shape.get(3) % 16 != 0) {
            throw new IllegalArgumentException("AMT-S needs two (1, 3, H, W) frames with H, W multiples of 16, got "
                    + shape + " and " + img1.getShape());
        }
        float embt = 0.5f;
        try (NDScope scope = new NDScope()) {
            // mean over channels, then rows, then columns of both frames stacked vertically
            NDArray mean = img0.concat(img1, 2).mean(new int[] {1}, true).mean(new int[] {2}, true)
                    .mean(new int[] {3}, true);
            NDArray x0 = img0.sub(mean);
            NDArray x1 = img1.sub(mean);
            int h = (int) shape.get(2);
            int w = (int) shape.get(3);
            NDArray coord = Sampling.coordsGrid(img0.getManager(), h / 8, w / 8);

            NDList fmaps = featEncoder.forward(x0.concat(x1, 0)).split(2, 0);
            BidirCorr corr = new BidirCorr(fmaps.get(0), fmaps.get(1), LEVELS, RADIUS);
            NDArray[] f0 = encoder.forward(x0);
            NDArray[] f1 = encoder.forward(x1);
            record(debug, "feat_encoder.fmap0", fmaps.get(0));
            record(debug, "feat_encoder.fmap1", fmaps.get(1));

            Decoders.Out d4 = decoder4.forward(f0[3], f1[3], embt);
            record(debug, "decoder4.flow0", d4.flow0());
            record(debug, "decoder4.flow1", d4.flow1());
            record(debug, "decoder4.ft", d4.features());
            Decoders.Out s4 = refine(update4, corr, coord, d4, 1, embt, debug, "update4");

            Decoders.Out d3 = decoder3.forward(s4.features(), f0[2], f1[2], s4.flow0(), s4.flow1());
            record(debug, "decoder3.flow0", d3.flow0());
            record(debug, "decoder3.flow1", d3.flow1());
            Decoders.Out s3 = refine(update3, corr, coord, d3, 2, embt, debug, "update3");

            Decoders.Out d2 = decoder2.forward(s3.features(), f0[1], f1[1], s3.flow0(), s3.flow1());
            record(debug, "decoder2.flow0", d2.flow0());
            record(debug, "decoder2.flow1", d2.flow1());
            Decoders.Out s2 = refine(update2, corr, coord, d2, 4, embt, debug, "update2");

            Decoders.Out d1 = decoder1.forward(s2.features(), f0[0], f1[0], s2.flow0(), s2.flow1());
            record(debug, "decoder1.flow0", d1.flow0());
            record(debug, "decoder1.mask", d1.mask());

            NDArray pred = Layers.scoped(() -> combine(x0, x1, d1, mean).clip(0f, 1f));
            NDScope.unregister(pred);
            if (debug != null) {
                debug.values().forEach(NDScope::unregister);
            }
            return pred;
        }
    }

    /**
     * AMT-S.py _corr_scale_lookup plus the update block: looks the correlation up where the
     * flows t->1 and t->0, rescaled to 0->1 and 1->0 by the linear-motion assumption, point,
     * and adds the residual updates to the flows and features.
     */
    private static Decoders.Out refine(UpdateBlock update, BidirCorr corr, NDArray coord, Decoders.Out d,
            int downsample, float embt, Map<String, NDArray> debug, String name) {
        float t1Scale = 1f / embt;
        float t0Scale = 1f / (1f - embt);
        NDArray flow0 = d.flow0();
        NDArray flow1 = d.flow1();
        if (downsample != 1) {
            double inv = 1.0 / downsample;
            flow0 = Sampling.resize(flow0, inv).mul((float) inv);
            flow1 = Sampling.resize(flow1, inv).mul((float) inv);
        }
        NDArray f0 = flow0;
        NDArray f1 = flow1;
        NDArray[] delta = Layers.scopedAll(() -> {
            NDArray features = corr.lookup(coord.add(f1.mul(t1Scale)), coord.add(f0.mul(t0Scale)));
            return update.forward(d.features(), f0.concat(f1, 1), features);
        });
        record(debug, name + ".delta_ft", delta[0]);
        record(debug, name + ".delta_flow", delta[1]);
        return new Decoders.Out(d.flow0().add(delta[1].get(":, 0:2")), d.flow1().add(delta[1].get(":, 2:4")),
                d.features().add(delta[0]), null, null);
    }

    /**
     * multi_flow.py multi_flow_combine: warps both (mean-removed) frames with each of the flow
     * pairs, blends them by the masks, adds back the mean and the residual images, and adds the
     * comb_block's correction to the average of the candidates.
     */
    private NDArray combine(NDArray img0, NDArray img1, Decoders.Out d, NDArray mean) {
        Shape s = d.flow0().getShape();
        long h = s.get(2);
        long w = s.get(3);
        int n = NUM_FLOWS;
        NDArray flow0 = d.flow0().reshape(n, 2, h, w);
        NDArray flow1 = d.flow1().reshape(n, 2, h, w);
        NDArray mask = d.mask().reshape(n, 1, h, w);
        NDArray imgRes = d.imgRes().reshape(n, 3, h, w);
        NDArray warp0 = Sampling.warp(repeat(img0, n), flow0);
        NDArray warp1 = Sampling.warp(repeat(img1, n), flow1);
        NDArray warps = mask.mul(warp0).add(mask.neg().add(1f).mul(warp1)).add(mean).add(imgRes);
        NDArray candidates = warps.reshape(1, n, 3, h, w);
        NDArray comb = comb2.forward(comb1.forward(comb0.forward(warps.reshape(1, 3L * n, h, w))));
        return candidates.mean(new int[] {1}).add(comb);
    }

    private static NDArray repeat(NDArray img, int n) {
        NDList copies = new NDList();
        for (int i = 0; i < n; i++) {
            copies.add(img);
        }
        return NDArrays.concat(copies, 0);
    }

    private static void record(Map<String, NDArray> debug, String name, NDArray value) {
        if (debug != null) {
            debug.put(name, value);
        }
    }

    /** The {@code state_dict.*} tensors of a trainer checkpoint, by their model names; else every tensor. */
    private static Map<String, String> stateDictNames(WeightSource source) {
        String prefix = "state_dict.";
        Map<String, String> original = new LinkedHashMap<>();
        boolean wrapped = source.names().stream().anyMatch(n -> n.startsWith(prefix));
        for (String name : source.names()) {
            if (!wrapped) {
                original.put(name, name);
            } else if (name.startsWith(prefix)) {
                original.put(name.substring(prefix.length()), name);
            }
        }
        return original;
    }
}
