package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Embedding;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Module;

/**
 * med.py's {@code BertEmbeddings}: word plus absolute position embeddings, then LayerNorm. Unlike
 * transformers' BERT there is no token_type table, so nothing is added for segment ids.
 */
final class BertEmbeddings extends Module {
    private final int maxPositions;
    private final Embedding wordEmbeddings;
    private final Embedding positionEmbeddings;
    private final LayerNorm layerNorm;

    BertEmbeddings(BertConfig c) {
        maxPositions = c.maxPositions();
        wordEmbeddings = child("word_embeddings", new Embedding(c.vocabSize(), c.hidden()));
        positionEmbeddings = child("position_embeddings", new Embedding(c.maxPositions(), c.hidden()));
        layerNorm = child("LayerNorm", new LayerNorm(c.hidden(), c.eps(), true));
    }

    /** (B, T) ids to (B, T, hidden) at positions 0..T-1: the whole sequence. */
    NDArray forward(NDArray ids) {
        return forward(ids, 0);
    }

    /**
     * (B, T) ids at positions offset..offset+T-1: the tokens after {@code offset} already cached
     * ones, as an incremental decoding step feeds them (med.py's past_key_values_length).
     */
    NDArray forward(NDArray ids, int offset) {
        long end = offset + ids.getShape().get(1);
        if (end > maxPositions) {
            throw new IllegalArgumentException(end + " tokens exceed the " + maxPositions + " position embeddings");
        }
        NDArray positions = positionEmbeddings.weight().get(offset + ":" + end);
        return layerNorm.forward(wordEmbeddings.lookup(ids).add(positions));
    }
}
