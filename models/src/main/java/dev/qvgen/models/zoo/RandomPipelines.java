package dev.qvgen.models.zoo;

import ai.djl.ndarray.NDManager;

import dev.qvgen.models.cogvideox.CogVideoXTransformer3DModel;
import dev.qvgen.models.cogvideox.CogVideoXPipeline;
import dev.qvgen.models.pipeline.TextEncoderPlacement;
import dev.qvgen.models.pipeline.VideoPipeline;
import dev.qvgen.models.wan.WanPipeline;
import dev.qvgen.models.text.T5Config;
import dev.qvgen.models.text.T5EncoderModel;
import dev.qvgen.models.vae.cogvideox.AutoencoderKLCogVideoX;
import dev.qvgen.models.vae.cogvideox.CogVideoXVaeConfig;
import dev.qvgen.models.vae.wan.AutoencoderKLWan;
import dev.qvgen.models.vae.wan.WanVaeConfig;
import dev.qvgen.models.wan.WanTransformer3DModel;

import java.nio.file.Path;

/**
 * Full-size pipelines of the registered models with random weights and no checkpoint, to profile
 * shapes, memory and speed: the registry's transformer, the published text encoder (UMT5-XXL for
 * Wan, T5 v1.1 XXL for CogVideoX) and VAE configs. Only the tokenizer and the scheduler config are
 * read from disk (they are a few megabytes of a published checkpoint). The videos are noise.
 */
public final class RandomPipelines {
    private RandomPipelines() {}

    /** google/umt5-xxl's encoder config, Wan2.1's text_encoder. */
    public static T5Config umt5Xxl() {
        return new T5Config("umt5", 256384, 4096, 64, 10240, 24, 64, 32, 128, 1e-6, true, "gelu_new");
    }

    /** google/t5-v1_1-xxl's encoder config, CogVideoX's text_encoder. */
    public static T5Config t5V11Xxl() {
        return new T5Config("t5", 32128, 4096, 64, 10240, 24, 64, 32, 128, 1e-6, true, "gelu_new");
    }

    /** AutoencoderKLWan's defaults in diffusers, which are the Wan2.1 VAE's config. */
    public static WanVaeConfig wan21Vae() {
        double[] mean = {-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508, 0.4134, -0.0715,
            0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921};
        double[] std = {2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743, 3.2687, 2.1526, 2.8652,
            1.5579, 1.6382, 1.1253, 2.8251, 1.9160};
        return new WanVaeConfig(96, 96, 16, new int[] {1, 2, 4, 4}, 2, new double[0],
                new boolean[] {false, true, true}, mean, std, 3, 3, 4, 8);
    }

    /**
     * AutoencoderKLCogVideoX's defaults in diffusers, with the scaling factor of the model
     * (1.15258426 for 2B, 0.7 for 5B; 1.5 also inverts it), as convert_cogvideox_to_diffusers.py.
     */
    public static CogVideoXVaeConfig cogVideoXVae(String model) {
        boolean v15 = model.startsWith("cogvideox1.5");
        double scaling = model.equals("cogvideox-2b") ? 1.15258426 : 0.7;
        return new CogVideoXVaeConfig(3, 3, new int[] {128, 256, 256, 512}, 16, 3, 1e-6f, 32, 4, 480, 720,
                scaling, v15);
    }

    /**
     * @param tokenizerDir a {@code tokenizer/} directory of the model's family
     * @param schedulerConfig its {@code scheduler/scheduler_config.json}
     */
    public static VideoPipeline build(String model, Path tokenizerDir, Path schedulerConfig, NDManager manager,
            long seed) {
        return ModelRegistry.get(model).transformer().randomPipeline(model, tokenizerDir, schedulerConfig, manager,
                seed);
    }

    static VideoPipeline wan(TransformerSpec.Wan spec, Path tokenizerDir, Path schedulerConfig, NDManager manager,
            long seed) {
        T5EncoderModel te = new T5EncoderModel(umt5Xxl());
        // the text encoder rests on the host when the pipeline is on an accelerator (TextEncoderPlacement)
        ModelRegistry.randomInit(te, TextEncoderPlacement.loadingManager(manager), seed + 1);
        AutoencoderKLWan vae = new AutoencoderKLWan(wan21Vae());
        ModelRegistry.randomInit(vae, manager, seed + 2);
        WanTransformer3DModel tr = (WanTransformer3DModel) ModelRegistry.buildTransformer(spec, manager, true, seed);
        return new WanPipeline(tokenizerDir, te, tr, vae, schedulerConfig);
    }

    static VideoPipeline cogVideoX(TransformerSpec.CogVideoX spec, String model, Path tokenizerDir,
            Path schedulerConfig, NDManager manager, long seed) {
        T5EncoderModel te = new T5EncoderModel(t5V11Xxl());
        // the text encoder rests on the host when the pipeline is on an accelerator (TextEncoderPlacement)
        ModelRegistry.randomInit(te, TextEncoderPlacement.loadingManager(manager), seed + 1);
        AutoencoderKLCogVideoX vae = new AutoencoderKLCogVideoX(cogVideoXVae(model));
        ModelRegistry.randomInit(vae, manager, seed + 2);
        CogVideoXTransformer3DModel tr = (CogVideoXTransformer3DModel) ModelRegistry.buildTransformer(spec, manager,
                true, seed);
        return new CogVideoXPipeline(tokenizerDir, te, tr, vae, schedulerConfig);
    }
}
