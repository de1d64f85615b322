package dev.qvgen.models.zoo;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.models.cogvideox.CogVideoXConfig;
import dev.qvgen.models.cogvideox.CogVideoXFamily;
import dev.qvgen.models.cogvideox.CogVideoXTransformer3DModel;
import dev.qvgen.models.family.ModelFamily;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.pipeline.VideoPipeline;
import dev.qvgen.models.wan.WanConfig;
import dev.qvgen.models.wan.WanFamily;
import dev.qvgen.models.wan.WanTransformer3DModel;

import java.nio.file.Path;

/**
 * A transformer config of one of the zoo's families: builds the (weightless) module and answers
 * what a workload of it looks like (latent layout, token counts, FLOPs), so that callers never
 * ask which family they hold.
 */
public sealed interface TransformerSpec permits TransformerSpec.CogVideoX, TransformerSpec.Wan {

    /** The diffusers class name, as {@code _class_name} in {@code transformer/config.json}. */
    String className();

    /** The config as diffusers writes it. */
    String toJson();

    /** The module with every parameter declared and none assigned. */
    Module build();

    ModelFamily family();

    /** The same config with {@code n} blocks (profiling a slice of a model too big for one device). */
    TransformerSpec withLayers(int n);

    int inChannels();

    /** Text tokens the pipeline feeds (Wan: UMT5's 512; CogVideoX: {@code max_text_seq_length}). */
    int textTokens();

    int textDim();

    /** Video tokens after patching for latents of these sizes. */
    long videoTokens(int latentFrames, int latentHeight, int latentWidth);

    /** The latents' shape in the family's layout. */
    Shape latentShape(int batch, int latentFrames, int latentHeight, int latentWidth);

    /** Forward FLOPs of one sample (see {@link TransformerWorkload}). */
    double flops(double videoTokens, double textTokens);

    /** The full pipeline with random weights around this transformer (see {@link RandomPipelines}). */
    VideoPipeline randomPipeline(String model, Path tokenizerDir, Path schedulerConfig, NDManager manager, long seed);

    record CogVideoX(CogVideoXConfig config) implements TransformerSpec {
        private static final ModelFamily FAMILY = new CogVideoXFamily();

        @Override
        public String className() {
            return "CogVideoXTransformer3DModel";
        }

        @Override
        public String toJson() {
            return config.toJson();
        }

        @Override
        public Module build() {
            return new CogVideoXTransformer3DModel(config);
        }

        @Override
        public ModelFamily family() {
            return FAMILY;
        }

        @Override
        public TransformerSpec withLayers(int n) {
            return new CogVideoX(config.resized(config.numAttentionHeads(), config.attentionHeadDim(), n,
                    config.timeEmbedDim(), config.textEmbedDim()));
        }

        @Override
        public int inChannels() {
            return config.inChannels();
        }

        @Override
        public int textTokens() {
            return config.maxTextSeqLength();
        }

        @Override
        public int textDim() {
            return config.textEmbedDim();
        }

        @Override
        public long videoTokens(int lf, int lh, int lw) {
            int pt = config.hasTemporalPatch() ? config.patchSizeT() : 1;
            return (long) ((lf + pt - 1) / pt) * (lh / config.patchSize()) * (lw / config.patchSize());
        }

        /**
         * CogVideoX's transformer takes (B, F, C, H, W); with a temporal patch (CogVideoX1.5) the
         * latent frames are padded up to its multiple, as the pipeline pads them.
         */
        @Override
        public Shape latentShape(int batch, int lf, int lh, int lw) {
            int pt = config.hasTemporalPatch() ? config.patchSizeT() : 1;
            return new Shape(batch, (lf + pt - 1) / pt * pt, inChannels(), lh, lw);
        }

        @Override
        public double flops(double lv, double s) {
            CogVideoXConfig c = config;
            double d = c.innerDim();
            double n = lv + s; // joint text + video sequence
            int pt = c.hasTemporalPatch() ? c.patchSizeT() : 1;
            double patch = (double) c.inChannels() * c.patchSize() * c.patchSize() * pt;
            double perBlock = 2 * n * d * d * 4          // q, k, v, out
                    + 4 * n * n * d                       // QK^T and PV
                    + 2 * n * d * 4 * d * 2;              // feed-forward (4x)
            double embed = 2 * lv * patch * d + 2 * s * c.textEmbedDim() * d + 2 * lv * d * patch;
            return c.numLayers() * perBlock + embed;
        }

        @Override
        public VideoPipeline randomPipeline(String model, Path tokenizerDir, Path schedulerConfig, NDManager manager,
                long seed) {
            return RandomPipelines.cogVideoX(this, model, tokenizerDir, schedulerConfig, manager, seed);
        }
    }

    record Wan(WanConfig config) implements TransformerSpec {
        private static final ModelFamily FAMILY = new WanFamily();

        @Override
        public String className() {
            return "WanTransformer3DModel";
        }

        @Override
        public String toJson() {
            return config.toJson();
        }

        @Override
        public Module build() {
            return new WanTransformer3DModel(config);
        }

        @Override
        public ModelFamily family() {
            return FAMILY;
        }

        @Override
        public TransformerSpec withLayers(int n) {
            WanConfig c = config;
            return new Wan(new WanConfig(c.patchSize(), c.numAttentionHeads(), c.attentionHeadDim(), c.inChannels(),
                    c.outChannels(), c.textDim(), c.freqDim(), c.ffnDim(), n, c.crossAttnNorm(), c.qkNorm(), c.eps(),
                    c.ropeMaxSeqLen()));
        }

        @Override
        public int inChannels() {
            return config.inChannels();
        }

        @Override
        public int textTokens() {
            return TransformerWorkload.WAN_TEXT_TOKENS;
        }

        @Override
        public int textDim() {
            return config.textDim();
        }

        @Override
        public long videoTokens(int lf, int lh, int lw) {
            int[] p = config.patchSize();
            return (long) (lf / p[0]) * (lh / p[1]) * (lw / p[2]);
        }

        @Override
        public Shape latentShape(int batch, int lf, int lh, int lw) {
            return new Shape(batch, inChannels(), lf, lh, lw);
        }

        @Override
        public double flops(double l, double s) {
            WanConfig c = config;
            double d = c.innerDim();
            double f = c.ffnDim();
            int[] p = c.patchSize();
            double patch = (double) c.inChannels() * p[0] * p[1] * p[2];
            double perBlock = 2 * l * d * d * 4          // self-attention q, k, v, out
                    + 4 * l * l * d                       // self-attention QK^T and PV
                    + 2 * l * d * d * 2 + 2 * s * d * d * 2 // cross-attention q, out (video) and k, v (text)
                    + 4 * l * s * d                       // cross-attention QK^T and PV
                    + 2 * l * d * f * 2;                  // feed-forward
            double embed = 2 * l * patch * d              // patch embedding
                    + 2 * s * (c.textDim() * d + d * d)   // text embedder (two linears)
                    + 2 * l * d * c.outChannels() * p[0] * p[1] * p[2]; // proj_out
            return c.numLayers() * perBlock + embed;
        }

        @Override
        public VideoPipeline randomPipeline(String model, Path tokenizerDir, Path schedulerConfig, NDManager manager,
                long seed) {
            return RandomPipelines.wan(this, tokenizerDir, schedulerConfig, manager, seed);
        }
    }
}
