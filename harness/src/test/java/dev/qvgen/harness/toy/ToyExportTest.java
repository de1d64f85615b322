package dev.qvgen.harness.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDManager;

import dev.qvgen.models.toy.ToyPipeline;
import dev.qvgen.models.toy.ToyVideoModel;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.deploy.PackedExport;
import dev.qvgen.quantizer.deploy.PackedLinear;
import dev.qvgen.quantizer.qat.QatLayers;
import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Loading a packed export generates the same video as the fake-quantized model it came from. */
class ToyExportTest {
    @Test
    void exportedModelGeneratesTheSameVideo(@TempDir Path tmp) throws Exception {
        ToyWorld world = ToyWorld.defaults();
        int[] tok = new ToyVocabulary().encode("a red circle moves left slowly", ToyVocabulary.DEFAULT_MAX_LENGTH);
        long[] ids = java.util.Arrays.stream(tok).asLongStream().toArray();
        ToyPipeline.Settings sampling = new ToyPipeline.Settings(3, 4f, 3.0);
        float[][][][][] fake;
        Path file = tmp.resolve("w3a3.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            ToyVideoModel model = ToyVideoModel.load(Path.of("checkpoints/toy-wan"), m);
            QatLayers layers = QatLayers.install(model.transformer(), QuantSpec.W3A3, LayerSelection.insideBlocks(java.util.List.of("blocks.")), 0,
                    50, m);
            fake = new ToyPipeline(model, world.frames(), world.height(), world.width()).generate(m, List.of(ids),
                    List.of(7L), sampling);
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            layers.layers().forEach((k, l) -> packed.put(k, layers.kernels().get(k).pack(l)));
            PackedExport.write(file, model.transformer(), packed, Map.of());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            ToyVideoModel model = ToyVideoModel.load(Path.of("checkpoints/toy-wan"), m);
            float[][][][][] fp = new ToyPipeline(model, world.frames(), world.height(), world.width()).generate(m,
                    List.of(ids), List.of(7L), sampling);
            PackedExport.load(file, model.transformer(), m);
            float[][][][][] deployed = new ToyPipeline(model, world.frames(), world.height(), world.width()).generate(m,
                    List.of(ids), List.of(7L), sampling);
            assertArrayEquals(flat(fake), flat(deployed), "bit-identical frames");
            assertFalse(java.util.Arrays.equals(flat(fp), flat(deployed)), "W3A3 differs from full precision");
        }
    }

    private static float[] flat(float[][][][][] v) {
        java.util.List<Float> out = new java.util.ArrayList<>();
        for (var a : v) {
            for (var b : a) {
                for (var c : b) {
                    for (var d : c) {
                        for (float f : d) {
                            out.add(f);
                        }
                    }
                }
            }
        }
        float[] r = new float[out.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = out.get(i);
        }
        return r;
    }
}
