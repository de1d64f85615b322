package dev.qvgen.metrics.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.weights.TorchPickle;

import java.nio.file.Path;
import java.util.Set;

/**
 * The LAION aesthetic predictor VBench uses ({@code sa_0_4_vit_l_14_linear.pth}): one
 * {@code nn.Linear(D, 1)} on L2-normalised CLIP ViT-L/14 image embeddings, giving a 0..10 rating.
 */
public final class AestheticHead {
    private AestheticHead() {}

    /** @throws CheckpointException naming the file if it is not a (1, D) linear state dict */
    public static Linear load(Path pth, NDManager manager) {
        try (TorchPickle source = TorchPickle.open(pth)) {
            if (!source.names().contains("weight")) {
                throw new CheckpointException(pth + ": no 'weight' tensor, not an nn.Linear state dict");
            }
            long[] w = source.info("weight").shape();
            if (w.length != 2 || w[0] != 1) {
                throw new CheckpointException(pth + ": weight has shape " + java.util.Arrays.toString(w)
                        + ", expected (1, D) for the aesthetic linear head");
            }
            Linear head = new Linear((int) w[1], 1, true);
            WeightLoader.load(head, source, manager, Set.of());
            return head;
        }
    }

    /** Ratings (B) of raw CLIP image embeddings (B, D): the embeddings are L2-normalised first, as VBench does. */
    public static NDArray rate(Linear head, NDArray imageEmbeds) {
        return head.forward(ClipModel.l2Normalize(imageEmbeds)).squeeze(-1);
    }
}
