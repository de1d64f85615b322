package dev.qvgen.metrics.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The DJL ports against the reference outputs in ../shared/fixtures/metrics (rel L2 < 1e-4). */
class BackboneParityTest {
    static final Path DINO_DIR = Path.of("../shared/fixtures/metrics/dino-vit");
    static final Path CLIP_DIR = Path.of("../shared/fixtures/metrics/clip");
    static final double TOL = 1e-4;

    static JsonObject json(Path p) throws IOException {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    static DinoVisionTransformer.Config dinoConfig() throws IOException {
        JsonObject g = json(DINO_DIR.resolve("golden.json"));
        return new DinoVisionTransformer.Config(g.get("patch_size").getAsInt(), g.get("embed_dim").getAsInt(),
                g.get("depth").getAsInt(), g.get("num_heads").getAsInt(), g.get("mlp_ratio").getAsDouble(),
                g.get("layernorm_eps").getAsFloat());
    }

    @Test
    void dinoMatchesReferenceAt224AndWithPositionInterpolation() throws IOException {
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile golden = SafeTensorsFile.open(DINO_DIR.resolve("golden.safetensors"))) {
            DinoVisionTransformer vit = DinoVisionTransformer.load(DINO_DIR.resolve("dino_vit_pretrain.pth"),
                    dinoConfig(), m);
            double e224 = Tensors.relativeL2(vit.forward(golden.load("x224", m)), golden.load("cls224", m));
            double eOther = Tensors.relativeL2(vit.forward(golden.load("x_other", m)), golden.load("cls_other", m));
            System.out.printf("dino cls224 rel_l2=%.3e cls_other rel_l2=%.3e%n", e224, eOther);
            assertTrue(e224 < TOL, "cls224 rel L2 " + e224);
            assertTrue(eOther < TOL, "cls_other rel L2 " + eOther);
        }
    }

    @Test
    void clipMatchesReferenceImageTextAndLogits() throws IOException {
        JsonObject g = json(CLIP_DIR.resolve("golden.json"));
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile golden = SafeTensorsFile.open(CLIP_DIR.resolve("golden.safetensors"))) {
            ClipModel clip = ClipModel.load(CLIP_DIR.resolve("clip_state_dict.pth"),
                    g.get("transformer_heads").getAsInt(), m);
            ClipModel.Config c = clip.config();
            assertEquals(g.get("embed_dim").getAsInt(), c.embedDim());
            assertEquals(g.get("image_resolution").getAsInt(), c.imageResolution());
            assertEquals(g.get("vision_layers").getAsInt(), c.visionLayers());
            assertEquals(g.get("vocab_size").getAsInt(), c.vocabSize());
            NDArray img = clip.encodeImage(golden.load("image", m));
            float[] t = golden.load("text", m).toFloatArray();
            int ctx = c.contextLength();
            long[][] tokens = new long[t.length / ctx][ctx];
            for (int i = 0; i < t.length; i++) {
                tokens[i / ctx][i % ctx] = Math.round(t[i]);
            }
            NDArray txt = clip.encodeText(tokens, m);
            double eImg = Tensors.relativeL2(img, golden.load("image_embeds", m));
            double eTxt = Tensors.relativeL2(txt, golden.load("text_embeds", m));
            double eLog = Tensors.relativeL2(clip.logitsPerImage(img, txt), golden.load("logits_per_image", m));
            System.out.printf("clip image rel_l2=%.3e text rel_l2=%.3e logits rel_l2=%.3e%n", eImg, eTxt, eLog);
            assertTrue(eImg < TOL, "image_embeds rel L2 " + eImg);
            assertTrue(eTxt < TOL, "text_embeds rel L2 " + eTxt);
            assertTrue(eLog < TOL, "logits rel L2 " + eLog);
        }
    }
}
