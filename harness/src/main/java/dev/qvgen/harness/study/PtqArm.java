package dev.qvgen.harness.study;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
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
 * Post-training quantization of any study model's transformer: the calibrated methods (ViDiT-Q,
 * SVDQuant) run the full-precision model on the model's batches while every selected layer records
 * its per-channel input range, then each layer is packed by the method; round-to-nearest packs the
 * weights as they are. Writes the same packed export
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
        boolean calibrated = m.isCalibrated();
        // round-to-nearest is the post-training method that needs no calibration data
        if (!calibrated && (m.isQat() || method.equals(Methods.FP))) {
            throw new IllegalArgumentException("not a post-training method: " + method);
        }
        Files.createDirectories(workDir);
        try (NDManager manager = NDManager.newBaseManager(device);
                StudyModel.Instance fp = model.load(manager)) {
            DenoisingTransformer tr = fp.transformer();
            Predicate<String> blocks = LayerSelection.insideBlocks(tr.blockPrefixes());
            Map<String, float[]> absMax = calibrated ? inputRanges(fp, blocks, manager) : Map.of();
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            for (var e : LayerSelection.linears(tr.module(), blocks).entrySet()) {
                Linear l = e.getValue();
                packed.put(e.getKey(), calibrated ? m.packer().pack(l, spec, absMax.get(e.getKey()))
                        : Rtn.pack(l, spec));
            }
            if (calibrated) {
                PackedExport.write(export, tr.module(), packed, Map.of("method", method, "bits", spec.label(),
                        "model", model.name(), "calibration_videos", String.valueOf(s.batches() * s.batch())));
                log.printf("[ptq %s-%s] calibrated on %d videos, exported %s%n", method, spec.label(),
                        s.batches() * s.batch(), export);
            } else {
                PackedExport.write(export, tr.module(), packed, Map.of("method", method, "bits", spec.label(),
                        "model", model.name()));
                log.printf("[ptq %s-%s] exported %s%n", method, spec.label(), export);
            }
        }
        return export;
    }

    /** Per-channel max |input| of every selected layer over the calibration batches. */
    private Map<String, float[]> inputRanges(StudyModel.Instance fp, Predicate<String> blocks, NDManager manager) {
        DenoisingTransformer tr = fp.transformer();
        StudyModel.Batches data = model.batches(fp);
        try (ChannelStats stats = ChannelStats.observe(tr.module(), blocks)) {
            for (int i = 0; i < s.batches(); i++) {
                try (NDScope scope = new NDScope()) {
                    QatTrainer.Batch b = data.batch(s.stream(), i, s.batch(), s.captionDropout(), manager);
                    tr.forward(b.input(), b.timesteps(), b.context());
                }
            }
            return stats.absMax();
        }
    }
}
