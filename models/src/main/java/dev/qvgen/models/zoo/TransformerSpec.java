package dev.qvgen.models.zoo;

import dev.qvgen.models.cogvideox.CogVideoXConfig;
import dev.qvgen.models.cogvideox.CogVideoXTransformer3DModel;
import dev.qvgen.models.nn.Module;
import dev.qvgen.models.wan.WanConfig;
import dev.qvgen.models.wan.WanTransformer3DModel;

/** A transformer config of one of the zoo's families; builds the (weightless) module. */
public sealed interface TransformerSpec permits TransformerSpec.CogVideoX, TransformerSpec.Wan {

    /** The diffusers class name, as {@code _class_name} in {@code transformer/config.json}. */
    String className();

    /** The config as diffusers writes it. */
    String toJson();

    /** The module with every parameter declared and none assigned. */
    Module build();

    record CogVideoX(CogVideoXConfig config) implements TransformerSpec {
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
    }

    record Wan(WanConfig config) implements TransformerSpec {
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
    }
}
