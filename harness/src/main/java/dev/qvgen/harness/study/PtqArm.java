package dev.qvgen.harness.study;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.deploy.PackedExport;
import dev.qvgen.quantizer.deploy.PackedLinear;
import dev.qvgen.quantizer.ptq.ChannelStats;
import dev.qvgen.quantizer.qat.QatTrainer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Calibrated post-training quantization of any study model's transformer (ViDiT-Q, SVDQuant): the
 * full-precision model runs on the model's batches while every selected layer records its
 * per-channel input range, then each layer is packed by the method. Writes the same packed export
 * as the QAT methods.
 */
public final class PtqArm {
    /**
     * Calibration size: batches x videos, each video seen at one timestep, from batch stream
     * {@code stream} (apart from training's), captions dropped with probability {@code captionDropout}.
     */
    public record Settings(int batches, int batch, long stream, float captionDropout) {
        public static Settings defaults() {
            return new Settings(8, 8, 7, 0.1f);
        }
    }

    private final StudyModel model;
    private final Settings s;
    private final PrintStream log;
    private Device device = Device.cpu();

    public PtqArm(StudyModel model, Settings settings, PrintStream log) {
        this.model = model;
        this.s = settings;
        this.log = log;
    }

    /** Calibrates on {@code d} (e.g. a GPU) instead of the CPU. */
    public PtqArm onDevice(Device d) {
        this.device = d;
        return this;
    }

    public Path calibrateAndExport(String method, QuantSpec spec, Path workDir) throws IOException {
        Path export = workDir.resolve(QatArm.EXPORT);
        if (Files.exists(export)) {
            return export;
        }
        Methods.Method m = Methods.get(method);
        if (!m.isCalibrated()) {
            throw new IllegalArgumentException("not a calibrated post-training method: " + method);
        }
        Files.createDirectories(workDir);
        try (NDManager manager = NDManager.newBaseManager(device);
                StudyModel.Instance fp = model.load(manager)) {
            DenoisingTransformer tr = fp.transformer();
            Predicate<String> blocks = LayerSelection.insideBlocks(tr.blockPrefixes());
            StudyModel.Batches data = model.batches(fp);
            Map<String, float[]> absMax;
            try (ChannelStats stats = ChannelStats.observe(tr.module(), blocks)) {
                for (int i = 0; i < s.batches(); i++) {
                    try (NDScope scope = new NDScope()) {
                        QatTrainer.Batch b = data.batch(s.stream(), i, s.batch(), s.captionDropout(), manager);
                        tr.forward(b.input(), b.timesteps(), b.context());
                    }
                }
                absMax = stats.absMax();
            }
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            for (var e : LayerSelection.linears(tr.module(), blocks).entrySet()) {
                Linear l = e.getValue();
                packed.put(e.getKey(), m.packer().pack(l, spec, absMax.get(e.getKey())));
            }
            PackedExport.write(export, tr.module(), packed, Map.of("method", method, "bits", spec.label(),
                    "model", model.name(), "calibration_videos", String.valueOf(s.batches() * s.batch())));
            log.printf("[ptq %s-%s] calibrated on %d videos, exported %s%n", method, spec.label(),
                    s.batches() * s.batch(), export);
        }
        return export;
    }
}
