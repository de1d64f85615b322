package dev.qvgen.harness.cli;

import dev.qvgen.harness.Djl;
import dev.qvgen.models.parity.GoldenParity;
import dev.qvgen.models.parity.ParityResult;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Checks this port against a golden file made by the reference implementation. */
@Command(name = "parity", mixinStandardHelpOptions = true,
        description = "Compare every implemented component of a diffusers pipeline directory with a golden file; "
                + "exit 1 if any compared tensor is above tolerance (relative L2 1e-4; 1e-3 for pipe.frames).")
public final class ParityCommand implements Callable<Integer> {
    @Option(names = "--pipeline", required = true, description = "diffusers pipeline directory (model_index.json).")
    Path pipeline;

    @Option(names = "--golden", required = true, description = "golden.safetensors made by the reference.")
    Path golden;

    @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class, description = "cpu or cuda:N (default: ${DEFAULT-VALUE}); on "
            + "CUDA set NVIDIA_TF32_OVERRIDE=0, or cuDNN's TF32 convolutions miss the VAEs' 1e-4.")
    ai.djl.Device onDevice;

    @Override
    public Integer call() {
        Djl.configure(1);
        List<ParityResult> results = GoldenParity.run(pipeline, golden, onDevice);
        long failed = results.stream().filter(r -> !r.isSkipped() && !r.passed()).count();
        long passed = results.stream().filter(ParityResult::passed).count();
        results.forEach(r -> System.out.println(r.line()));
        System.out.printf("parity: %d ok, %d FAIL, %d skipped%n", passed, failed, results.size() - passed - failed);
        return failed > 0 ? 1 : 0;
    }
}
