package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.data.LatentDataset;
import dev.qvgen.harness.study.PtqArm;
import dev.qvgen.harness.study.ZooStudyModel;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Post-training quantization of a zoo model (RTN, ViDiT-Q, SVDQuant) into the same packed export as QAT. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Post-training quantization of a diffusers text-to-video transformer: rtn needs no data; vidit-q "
                + "and svdquant calibrate per-channel input ranges on clips encoded by `qvgen data prepare`. Writes the "
                + "packed export quantized.safetensors in --out (present: nothing to do).")
public final class CalibrateCommand implements Callable<Integer> {
    @Mixin
    ZooModelOptions zoo;

    @Option(names = "--method", required = true, description = "A post-training method of the methods registry.")
    String method;

    @Option(names = "--batches", description = "Calibration batches (default: ${DEFAULT-VALUE}).")
    int batches = PtqArm.Settings.defaults().batches();

    @Option(names = "--batch", description = "Clips per calibration batch (default: ${DEFAULT-VALUE}).")
    int batch = PtqArm.Settings.defaults().batch();

    @Override
    public Integer call() throws Exception {
        QuantSpec spec = QatCommand.checkedMethod(method, zoo.bits, false);
        if (batches < 1 || batch < 1 || zoo.threads < 1) {
            throw new BadInputException("--batches, --batch and --threads must be positive");
        }
        zoo.directory();
        Djl.configure(zoo.threads);
        boolean calibrated = Methods.get(method).isCalibrated();
        try (LatentDataset clips = calibrated ? LatentDataset.open(zoo.requiredData(method)) : null) {
            ZooStudyModel model = zoo.studyModel(clips);
            var s = PtqArm.Settings.defaults();
            Path export = new PtqArm(model, new PtqArm.Settings(batches, batch, s.stream(), s.captionDropout()),
                    System.out).onDevice(zoo.device).calibrateAndExport(method, spec, zoo.out);
            System.out.println("wrote " + export);
        }
        return 0;
    }
}
