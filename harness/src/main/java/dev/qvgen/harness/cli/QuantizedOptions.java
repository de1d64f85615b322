package dev.qvgen.harness.cli;

import ai.djl.ndarray.NDManager;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.profile.TransformerProfiler;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.deploy.LowBitLayout;
import dev.qvgen.quantizer.deploy.LowBitLinearKernel;
import dev.qvgen.quantizer.deploy.PackedExport;
import dev.qvgen.quantizer.deploy.ReleasedQvgenCheckpoint;

import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a command's transformer is quantized: a packed export (from {@code qvgen qat},
 * {@code qvgen calibrate} or a study's arm), or round-to-nearest at a bit width, which needs no
 * export. Neither: full precision.
 */
final class QuantizedOptions {
    @Option(names = "--quantized", description = "a packed export (quantized.safetensors of `qvgen qat`, `qvgen "
            + "calibrate` or a study arm), or the QVGen authors' released W4A4 transformer (its transformer/ folder "
            + "or .safetensors, official tensor names; its activation-clip group follows the official call count), "
            + "to run the transformer with.")
    Path quantized;

    @Option(names = "--method", description = "rtn: quantize the transformer round-to-nearest at --bits, no export "
            + "needed (other methods train or calibrate: give their --quantized export).")
    String method;

    @Option(names = "--bits", description = "bit widths for --method rtn, e.g. w4a4.")
    String bits;

    @Option(names = "--kernel", defaultValue = TransformerProfiler.SIMULATED, description = "how --method rtn runs: "
            + "simulated (fake quantization, float GEMMs), or the real low-bit kernels of `qvgen profile --kernel`: "
            + "fp8, fp8-packed or int8 (integer codes on the device; on CUDA they need the qvgen_lowbit library, on the "
            + "CPU an exact emulation runs) (default: ${DEFAULT-VALUE}).")
    String kernel = TransformerProfiler.SIMULATED;

    /** Checks the combination before anything is loaded; the spec for RTN, or null. */
    QuantSpec check() {
        QuantSpec spec = checkMethod();
        if (!TransformerProfiler.SIMULATED.equals(kernel)) {
            if (!TransformerProfiler.KERNELS.contains(kernel)) {
                throw new BadInputException("--kernel must be one of " + String.join(", ", TransformerProfiler.KERNELS)
                        + ", got '" + kernel + "'");
            }
            if (spec == null) {
                throw new BadInputException("--kernel " + kernel + " needs --method rtn --bits (a --quantized export "
                        + "runs on its own kernels)");
            }
            try {
                LowBitLinearKernel.check(spec, codes(), kernel.endsWith("-packed"));
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--kernel " + kernel + ": " + e.getMessage());
            }
        }
        return spec;
    }

    /** Whether RTN runs on real low-bit kernels, installed by {@link #applyRtn} after the precision cast. */
    boolean realKernel() {
        return !TransformerProfiler.SIMULATED.equals(kernel);
    }

    private LowBitLayout.Codes codes() {
        return kernel.startsWith("fp8") ? LowBitLayout.Codes.FP8 : LowBitLayout.Codes.INT8;
    }

    private QuantSpec checkMethod() {
        if (quantized != null && (method != null || bits != null)) {
            throw new BadInputException("give --quantized or --method/--bits, not both");
        }
        if (quantized != null && !Files.exists(quantized)) {
            throw new BadInputException(quantized + ": file not found");
        }
        if (method == null && bits == null) {
            return null;
        }
        if (!"rtn".equals(method) || bits == null) {
            throw new BadInputException("--method/--bits: only rtn quantizes without an export (got --method " + method
                    + ", --bits " + bits + "); " + String.join(", ", Methods.names().stream()
                            .filter(m -> Methods.get(m).isQat() || Methods.get(m).isCalibrated()).toList())
                    + " need --quantized EXPORT");
        }
        try {
            return QuantSpec.parse(bits);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--bits: " + e.getMessage());
        }
    }

    /** What the videos depend on: the export's content, or the RTN bit widths; "none" for full precision. */
    String describe() {
        if (quantized != null) {
            return "export " + (java.nio.file.Files.isDirectory(quantized) ? dev.qvgen.harness.run.Fingerprint.ofDirectory(quantized)
                    : dev.qvgen.harness.run.Fingerprint.ofFile(quantized));
        }
        return method == null ? "none" : method + " " + bits;
    }

    /**
     * Loads a {@code --quantized} export into {@code transformer}; a label for the log line ("bf16"
     * style names are the caller's). RTN is applied later, by {@link #applyRtn}.
     */
    String apply(DenoisingTransformer transformer, NDManager manager) {
        QuantSpec rtn = check();
        if (quantized != null) {
            try {
                if (ReleasedQvgenCheckpoint.looksReleased(quantized)) {
                    ReleasedQvgenCheckpoint.load(quantized, transformer.module(), manager,
                            ReleasedQvgenCheckpoint.Options.officialW4A4());
                    return "W4A4 from the released QVGen checkpoint " + quantized;
                }
                PackedExport.load(quantized, transformer.module(), manager);
            } catch (CheckpointException e) {
                throw new BadInputException(e.getMessage());
            }
            return "quantized from " + quantized;
        }
        if (rtn != null && realKernel()) {
            return "rtn " + rtn.label() + " on real " + kernel + " kernels";
        }
        if (rtn != null) {
            return "rtn " + rtn.label();
        }
        return "full precision";
    }

    /**
     * RTN at {@code --bits}, once the transformer has its compute type (so the codes are computed in
     * that type, as {@code qvgen profile} computes them): with a real {@code --kernel}, {@link
     * LowBitLinearKernel}s on the linear layers inside the blocks, whose dense weights are freed (the
     * generation runs on the codes alone), and the transformer's deployed weight bytes are returned;
     * simulated, fake-quantized kernels (the quantizer's temporaries freed), and -1, as without RTN.
     */
    long applyRtn(DenoisingTransformer transformer, ai.djl.ndarray.types.DataType type, NDManager manager) {
        QuantSpec rtn = check();
        if (rtn == null) {
            return -1;
        }
        if (realKernel()) {
            return TransformerProfiler.installReal(transformer.module(), rtn, kernel, type, manager,
                    dev.qvgen.quantizer.DenseWeight.FREE);
        }
        // the simulated kernels hold int8 codes; the dense weights are not needed again
        new Rtn().apply(transformer.module(), rtn, LayerSelection.insideBlocks(transformer.blockPrefixes()),
                dev.qvgen.quantizer.DenseWeight.FREE);
        return -1;
    }
}
