package dev.qvgen.harness.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.qvgen.models.nn.Linear;
import dev.qvgen.models.toy.ToyVideoModel;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.deploy.PackedExport;
import dev.qvgen.quantizer.deploy.PackedLinear;
import dev.qvgen.quantizer.ptq.ChannelStats;
import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Calibrated post-training quantization of the toy transformer (ViDiT-Q, SVDQuant): the full
 * precision model runs on toy-world videos noised at uniform timesteps while every selected layer
 * records its per-channel input range, then each layer is packed by the method. Writes the same
 * packed export as the QAT methods.
 */
public final class ToyPtq {
    /** Calibration size: batches x videos, each video seen at one timestep. */
    public record Settings(int batches, int batch, long seed) {
        public static Settings defaults() {
            return new Settings(8, 8, 7);
        }
    }

    private final ToyWorld world;
    private final Settings s;
    private final PrintStream log;

    public ToyPtq(ToyWorld world, Settings settings, PrintStream log) {
        this.world = world;
        this.s = settings;
        this.log = log;
    }

    private ai.djl.Device device = ai.djl.Device.cpu();

    /** Calibrates on {@code d} (e.g. a GPU) instead of the CPU. */
    public ToyPtq onDevice(ai.djl.Device d) {
        this.device = d;
        return this;
    }

    public Path calibrateAndExport(String method, QuantSpec spec, Path modelDir, Path workDir) throws IOException {
        Path export = workDir.resolve(ToyQat.EXPORT);
        if (Files.exists(export)) {
            return export;
        }
        Methods.Method m = Methods.get(method);
        if (!m.isCalibrated()) {
            throw new IllegalArgumentException("not a calibrated post-training method: " + method);
        }
        Files.createDirectories(workDir);
        ToyVocabulary vocab = new ToyVocabulary();
        try (NDManager manager = NDManager.newBaseManager(device)) {
            ToyVideoModel model = ToyVideoModel.load(modelDir, manager);
            Map<String, float[]> absMax;
            try (ChannelStats stats = ChannelStats.observe(model.transformer(), LayerSelection.insideBlocks())) {
                for (int i = 0; i < s.batches(); i++) {
                    try (NDScope scope = new NDScope()) {
                        ToyBatch b = ToyBatch.sample(world, vocab, s.batch(), ToyBatch.rng(s.seed(), i),
                                0.1f, ToyBatch.Sigmas.UNIFORM, manager);
                        NDArray text = model.textEncoder().forward(b.ids());
                        model.transformer().forward(b.noisy(), b.timesteps(), text);
                    }
                }
                absMax = stats.absMax();
            }
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            for (var e : LayerSelection.linears(model.transformer(), LayerSelection.insideBlocks()).entrySet()) {
                Linear l = e.getValue();
                packed.put(e.getKey(), m.packer().pack(l, spec, absMax.get(e.getKey())));
            }
            PackedExport.write(export, model.transformer(), packed, Map.of("method", method, "bits", spec.label(),
                    "calibration_videos", String.valueOf(s.batches() * s.batch())));
            log.printf("[ptq %s-%s] calibrated on %d videos, exported %s%n", method, spec.label(),
                    s.batches() * s.batch(), export);
        }
        return export;
    }
}
