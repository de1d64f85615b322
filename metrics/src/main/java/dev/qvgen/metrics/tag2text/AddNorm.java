package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;

/**
 * med.py's {@code BertSelfOutput} and {@code BertOutput}, which differ only in input width:
 * {@code LayerNorm(dense(h) + residual)} (post-norm, as in the original BERT).
 */
final class AddNorm extends Module {
    private final Linear dense;
    private final LayerNorm layerNorm;

    AddNorm(int in, BertConfig c) {
        dense = child("dense", new Linear(in, c.hidden(), true));
        layerNorm = child("LayerNorm", new LayerNorm(c.hidden(), c.eps(), true));
    }

    NDArray forward(NDArray h, NDArray residual) {
        return layerNorm.forward(dense.forward(h).add(residual));
    }
}
