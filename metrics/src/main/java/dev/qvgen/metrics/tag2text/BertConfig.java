package dev.qvgen.metrics.tag2text;

/**
 * The numbers of one of Tag2Text's BERTs (med.py's {@code BertConfig}) that a state dict cannot
 * give: heads and eps, plus the widths used to check tensor shapes.
 *
 * @param encoderWidth width of the states cross-attention reads (its key and value inputs)
 */
public record BertConfig(int hidden, int layers, int heads, int intermediate, int vocabSize, int maxPositions,
                         float eps, int encoderWidth) {

    /** Swin-B's output width, which the tag encoder and vision_multi cross-attend to. */
    public static final int SWIN_B_WIDTH = 1024;

    public BertConfig {
        if (hidden <= 0 || heads <= 0 || hidden % heads != 0) {
            throw new IllegalArgumentException("hidden size " + hidden + " is not a multiple of " + heads + " heads");
        }
    }

    /** med_config.json with the encoder width Tag2Text_Caption gives its tag encoder (Swin-B's). */
    public static BertConfig tagEncoder() {
        return med(SWIN_B_WIDTH);
    }

    /** med_config.json as the text decoder uses it: cross-attention to the 768-wide tag encoder. */
    public static BertConfig decoder() {
        return med(768);
    }

    /** q2l_config.json (vision_multi): 2 layers of 4 heads reading Swin-B's states. */
    public static BertConfig q2l() {
        // vocab is 30522 before resize_token_embeddings; unused, since vision_multi has no embeddings
        return new BertConfig(768, 2, 4, 3072, 30522, 512, 1e-12f, SWIN_B_WIDTH);
    }

    private static BertConfig med(int encoderWidth) {
        return new BertConfig(768, 12, 12, 3072, 30524, 512, 1e-12f, encoderWidth);
    }

    public BertConfig withEncoderWidth(int width) {
        return new BertConfig(hidden, layers, heads, intermediate, vocabSize, maxPositions, eps, width);
    }

    public int headDim() {
        return hidden / heads;
    }
}
