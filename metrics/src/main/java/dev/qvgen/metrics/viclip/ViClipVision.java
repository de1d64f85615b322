package dev.qvgen.metrics.viclip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.metrics.backbone.ClipModel;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Module;

/**
 * ViCLIP's video tower (viclip_vision.py {@code VisionTransformer}, kernel_size 1, no masking
 * as in {@code encode_vision(test=True)}):
 * <pre>
 *   patches  = Conv3d(3, D, (1, p, p)) of every frame              (B*T, N, D)
 *   patches += positional_embedding[1:]                             (spatial)
 *   patches += temporal_positional_embedding[t]   (its mean over frames when T = 1)
 *   tokens   = [class_embedding + positional_embedding[0],
 *               patches in (patch, frame) order]                    (B, 1 + N*T, D)
 *   out      = ln_post(transformer(ln_pre(tokens))[:, 0]) @ proj   (joint space-time attention)
 * </pre>
 */
final class ViClipVision extends Module {
    private final int width;
    private final int patch;
    private final int resolution;
    private final int numFrames;
    private final Parameter conv1;
    private final Parameter classEmbedding;
    private final Parameter positionalEmbedding;
    private final Parameter temporalPositionalEmbedding;
    private final LayerNorm lnPre;
    private final ClipModel.Transformer transformer;
    private final LayerNorm lnPost;
    private final Parameter proj;

    /** Views of the weights made once (a view per call would pile up in the weights' manager). */
    private record Derived(NDArray kernel, NDArray spatial, NDArray cls, NDArray temporal, NDArray temporalMean) {
    }

    private volatile Derived derived;

    ViClipVision(ViClip.Config c) {
        width = c.visionWidth();
        patch = c.patchSize();
        resolution = c.inputResolution();
        numFrames = c.numFrames();
        int grid = resolution / patch;
        conv1 = child("conv1", new Conv3dKernel(width, patch)).weight;
        classEmbedding = param("class_embedding", new Shape(width));
        positionalEmbedding = param("positional_embedding", new Shape((long) grid * grid + 1, width));
        temporalPositionalEmbedding = param("temporal_positional_embedding", new Shape(1, numFrames, width));
        lnPre = child("ln_pre", new LayerNorm(width, ViClip.EPS, true));
        transformer = child("transformer", new ClipModel.Transformer(width, c.visionLayers(), c.visionHeads()));
        lnPost = child("ln_post", new LayerNorm(width, ViClip.EPS, true));
        proj = param("proj", new Shape(width, c.embedDim()));
    }

    private Derived derived() {
        Derived d = derived;
        if (d == null) {
            synchronized (this) {
                if (derived == null) {
                    NDArray pos = positionalEmbedding.getArray();
                    NDArray temporal = temporalPositionalEmbedding.getArray();
                    derived = new Derived(conv1.getArray().reshape(width, 3L * patch * patch),
                            pos.get("1:, :"),
                            classEmbedding.getArray().add(pos.get(0)).reshape(1, 1, width),
                            temporal.reshape(1, 1, numFrames, width),
                            temporal.mean(new int[] {1}).reshape(1, 1, 1, width));
                }
                d = derived;
            }
        }
        return d;
    }

    /** The bias-free Conv3d(3, D, (1, p, p)) patch embedding; only its weight, applied in {@link #forward}. */
    private static final class Conv3dKernel extends Module {
        final Parameter weight;

        Conv3dKernel(int width, int patch) {
            weight = param("weight", new Shape(width, 3, 1, patch, patch));
        }
    }

    /** (B, T, 3, R, R) or (B, 3, R, R) to (B, embed). */
    NDArray forward(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() == 4) {
            x = x.expandDims(1); // encode_vision's image.unsqueeze(2) of (B, C, H, W): one frame
            s = x.getShape();
        }
        if (s.dimension() != 5 || s.get(2) != 3 || s.get(3) != resolution || s.get(4) != resolution
                || (s.get(1) != numFrames && s.get(1) != 1)) {
            throw new IllegalArgumentException("ViCLIP video tower needs (B, " + numFrames + " or 1, 3, " + resolution
                    + ", " + resolution + ") frames, got " + s);
        }
        Derived d = derived();
        long b = s.get(0);
        long t = s.get(1);
        long grid = resolution / patch;
        long n = grid * grid;
        // Conv3d with a (1, p, p) kernel and stride: a linear map of each frame's p x p patches
        NDArray patches = x.reshape(b * t, 3, grid, patch, grid, patch).transpose(0, 2, 4, 1, 3, 5)
                .reshape(b * t, n, 3L * patch * patch);
        NDArray tokens = Linear.product(patches, d.kernel(), null);
        tokens = tokens.add(d.spatial());
        // '(b t) n m -> (b n) t m', + temporal embedding, '(b n) t m -> b (n t) m'
        tokens = tokens.reshape(b, t, n, width).transpose(0, 2, 1, 3)
                .add(t == 1 ? d.temporalMean() : d.temporal())
                .reshape(b, n * t, width);
        NDArray cls = tokens.getManager().zeros(new Shape(b, 1, width)).add(d.cls());
        tokens = NDArrays.concat(new NDList(cls, tokens), 1);
        tokens = transformer.forward(lnPre.forward(tokens), null);
        return lnPost.forward(tokens.get(":, 0, :")).matMul(proj.getArray());
    }
}
