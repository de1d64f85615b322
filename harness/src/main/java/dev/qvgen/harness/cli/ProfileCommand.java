package dev.qvgen.harness.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import com.google.gson.GsonBuilder;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.profile.TransformerProfiler;
import dev.qvgen.harness.profile.TransformerQat;
import dev.qvgen.models.cogvideox.CogVideoXTransformer3DModel;
import dev.qvgen.layers.nn.Attention;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.models.wan.WanConfig;
import dev.qvgen.models.wan.WanTransformer3DModel;
import dev.qvgen.models.zoo.ModelRegistry;
import dev.qvgen.models.zoo.ModelSpec;
import dev.qvgen.models.zoo.TransformerSpec;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.models.zoo.TransformerWorkload;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.deploy.LowBitLayout;
import dev.qvgen.quantizer.deploy.LowBitLinearKernel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code qvgen profile}: per-denoising-step cost of a zoo transformer at its published video size
 * (or a given one): latency, memory, weight bytes full vs packed low-bit, tokens/s and the
 * fraction of the accelerator's peak. With {@code --qat-steps} it instead runs a short QVGen
 * QAT on random inputs and logs step time and memory.
 */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Profile one denoising step of a model's transformer (latency, memory, weight bytes, "
                + "throughput, fraction of peak), or a short QVGen QAT run (--qat-steps).")
public final class ProfileCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "A zoo model, e.g. wan2.1-t2v-1.3b or cogvideox-2b.")
    String model;

    @Option(names = "--random-weights", description = "Random weights (no checkpoint needed).")
    boolean randomWeights;

    @Option(names = "--checkpoint", description = "Diffusers checkpoint directory (its transformer/ is loaded).")
    Path checkpoint;

    @Option(names = "--bits", split = ",", description = "Settings to profile: fp and/or wXaY (default: fp,w4a4).")
    List<String> bits = List.of("fp", "w4a4");

    @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class,
            description = "cpu or cuda:N (default: ${DEFAULT-VALUE}).")
    Device onDevice;

    @Option(names = "--precision", description = "fp32, fp16 or bf16 (default: bf16 on CUDA, as the published "
            + "pipelines run; fp32 on the CPU).")
    String precision;

    @Option(names = "--batch", description = "Videos per forward (2 = classifier-free guidance's pair; default: ${DEFAULT-VALUE}).")
    int batch = 1;

    @Option(names = "--frames", description = "Video frames (default: the model's published size).")
    Integer frames;

    @Option(names = "--height", description = "Video height in pixels (default: published).")
    Integer height;

    @Option(names = "--width", description = "Video width in pixels (default: published).")
    Integer width;

    @Option(names = "--layers", description = "Keep only this many transformer blocks (default: all).")
    Integer layers;

    @Option(names = "--warmup", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup = 2;

    @Option(names = "--runs", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs = 5;

    @Option(names = "--peak-tflops", description = "The accelerator's dense fp16/bf16 peak in TFLOP/s "
            + "(default: ${DEFAULT-VALUE}, H100 per the brief; ignored on the CPU).")
    double peakTflops = 786;

    @Option(names = "--attention", description = "fused, chunked or plain (default: fused when the SDPA module loads).")
    String attention;

    @Option(names = "--kernel", split = ",", description = "How low-bit settings run, comma-separated (one row per "
            + "low-bit setting and kernel, all in this process): simulated (fake quantization, float GEMMs), "
            + "fp8 (FP8 codes, torch._scaled_mm), fp8-packed (packed 4-bit weights unpacked per call) or int8 "
            + "(torch._int_mm); the real kernels need CUDA and the qvgen_lowbit library (default: simulated).")
    List<String> kernels = List.of(TransformerProfiler.SIMULATED);

    @Option(names = "--qat-steps", description = "Run this many QVGen QAT steps instead of profiling the forward "
            + "(uses the first low-bit --bits entry; --precision bf16, the default on CUDA, trains float32 master "
            + "weights with bfloat16 products and a bfloat16 teacher, fp32 trains in float32).")
    int qatSteps;

    @Option(names = "--grad-accum", description = "With --qat-steps: micro-batches of --batch per optimizer step "
            + "(default: ${DEFAULT-VALUE}).")
    int gradAccum = 1;

    /** With --qat-steps (profile) or always (qat). */
    @picocli.CommandLine.Mixin
    TrainingMemoryOptions memory;

    @Option(names = "--seed", description = "Random-weight seed (default: ${DEFAULT-VALUE}).")
    long seed = ModelRegistry.DEFAULT_SEED;

    @Option(names = "--out", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs/profile");

    @Option(names = "--threads", description = "Intra-op threads on the CPU (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() throws Exception {
        ModelSpec spec;
        Device dev = onDevice; // the converter has checked it
        try {
            spec = ModelRegistry.get(model);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        if (randomWeights == (checkpoint != null)) {
            throw new BadInputException("give exactly one of --random-weights and --checkpoint");
        }
        if (checkpoint != null && layers != null) {
            throw new BadInputException("--layers works with --random-weights only");
        }
        if (batch < 1 || runs < 1 || warmup < 0 || (layers != null && layers < 1) || qatSteps < 0 || gradAccum < 1) {
            throw new BadInputException("--batch, --runs, --layers and --grad-accum must be positive, --warmup and "
                    + "--qat-steps >= 0");
        }
        try {
            computeType(dev);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--precision: " + e.getMessage());
        }
        for (String b : bits) {
            if (!b.equals("fp")) {
                try {
                    QuantSpec.parse(b);
                } catch (IllegalArgumentException e) {
                    throw new BadInputException("--bits: " + e.getMessage());
                }
            }
        }
        for (String kernel : kernels) {
            checkKernel(kernel);
        }
        return runChecked(spec, dev);
    }

    private void checkKernel(String kernel) {
        if (!TransformerProfiler.KERNELS.contains(kernel)) {
            throw new BadInputException("--kernel must be one of " + String.join(", ", TransformerProfiler.KERNELS)
                    + ", got '" + kernel + "'");
        }
        if (!kernel.equals(TransformerProfiler.SIMULATED)) {
            for (String b : bits) {
                if (!b.equals("fp")) {
                    try {
                        LowBitLinearKernel.check(QuantSpec.parse(b),
                                kernel.startsWith("fp8") ? LowBitLayout.Codes.FP8
                                        : LowBitLayout.Codes.INT8, kernel.endsWith("-packed"));
                    } catch (IllegalArgumentException e) {
                        throw new BadInputException("--kernel " + kernel + ": " + e.getMessage());
                    }
                }
            }
        }
    }

    private Integer runChecked(ModelSpec spec, Device dev) throws Exception {
        DataType type = computeType(dev);
        if (attention != null) {
            if (!List.of("fused", "chunked", "plain").contains(attention)) {
                throw new BadInputException("--attention must be fused, chunked or plain");
            }
            System.setProperty("qvgen.attention", attention);
        }
        TransformerSpec ts = layers == null ? spec.transformer() : spec.transformer().withLayers(layers);
        TransformerWorkload w;
        try {
            w = new TransformerWorkload(ts, batch, frames != null ? frames : spec.sampling().frames(),
                    height != null ? height : spec.sampling().height(), width != null ? width : spec.sampling().width());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        Djl.configure(dev.isGpu() ? 0 : threads);
        Files.createDirectories(out);
        String attn = Attention.mode().name().toLowerCase(Locale.ROOT);
        try (NDManager m = NDManager.newBaseManager(dev)) {
            long t0 = System.nanoTime();
            if (qatSteps > 0) {
                String low = bits.stream().filter(b -> !b.equals("fp")).findFirst()
                        .orElseThrow(() -> new BadInputException("--qat-steps needs a low-bit --bits entry, e.g. w4a4"));
                // the student is float32 (its parameters are the master weights); the teacher runs
                // in the compute type
                Module teacher = build(ts, m, dev, type);
                Module student = build(ts, m, dev, DataType.FLOAT32);
                System.out.printf(Locale.ROOT, "[qat] %s, %d blocks, %dx%dx%d (%d tokens), built in %.1f s%n", model,
                        DenoisingTransformer.of(student).blockCount(), w.width(), w.height(), w.frames(), w.videoTokens(),
                        (System.nanoTime() - t0) / 1e9);
                if (type == DataType.FLOAT16) {
                    throw new BadInputException("--qat-steps trains in fp32 or bf16 (mixed precision), not fp16");
                }
                TransformerQat.Settings run = new TransformerQat.Settings(qatSteps, gradAccum,
                        type == DataType.BFLOAT16, memory.activationCheckpointing, memory.optimizerOnCpu,
                        recipeDecayPeriod(ts));
                new TransformerQat(System.out).run(teacher, student, w, QuantSpec.parse(low), run, dev, m, out);
                System.out.println("wrote " + out.resolve("qat.csv"));
                return 0;
            }
            Module tr = build(ts, m, dev, type);
            System.out.printf(Locale.ROOT, "[profile] %s built on %s in %.1f s (%d blocks, %d video tokens, attention %s)%n",
                    model, dev, (System.nanoTime() - t0) / 1e9, DenoisingTransformer.of(tr).blockCount(), w.videoTokens(), attn);
            List<TransformerProfiler.Row> rows = new TransformerProfiler(System.out).profile(model, tr, w, dev, type,
                    bits, warmup, runs, dev.isGpu() ? peakTflops : 0, attn, m, kernels);
            write(rows, out);
        }
        return 0;
    }

    /**
     * The official recipe's rank-decay period for the model's family (Wan2.1 444, CogVideoX 333), so
     * that a short timing run times ordinary steps; the toy keeps the fitted schedule.
     */
    private static int recipeDecayPeriod(TransformerSpec ts) {
        String family = ts.family().name();
        if (family.startsWith("wan")) {
            return dev.qvgen.harness.study.QatRecipe.official(true, 1).decayPeriod();
        }
        return family.startsWith("cog") ? dev.qvgen.harness.study.QatRecipe.official(false, 1).decayPeriod() : 0;
    }

    private DataType computeType(Device dev) {
        return Precision.parse(precision != null ? precision : dev.isGpu() ? "bf16" : "fp32");
    }

    private Module build(TransformerSpec ts, NDManager m, Device dev, DataType type) {
        Module tr;
        if (checkpoint != null) {
            Path dir = checkpoint.resolve("transformer");
            tr = ts.family().loadTransformer(dir, m).module();
        } else {
            tr = ModelRegistry.buildTransformer(ts, m, true, seed);
        }
        Precision.cast(tr, type, dev);
        return tr;
    }

    /** profile.csv, profile.json and profile.md (a report section) in {@code dir}. */
    static void write(List<TransformerProfiler.Row> rows, Path dir) throws java.io.IOException {
        StringBuilder csv = new StringBuilder("model,device,precision,bits,attention,batch,frames,height,width,layers,"
                + "video_tokens,warmup,runs,median_ms,min_ms,memory_bytes,weight_bytes_full,weight_bytes,"
                + "tokens_per_s,flops,tflops_per_s,peak_fraction,finite,kernel,speedup_vs_fp,share_linear,share_attention,"
                + "share_quantization\n");
        StringBuilder md = new StringBuilder("## Transformer step profile\n\n"
                + "| model | device | precision | bits | kernel | video | tokens | median ms | speed-up vs fp | memory GiB | "
                + "weights MiB (full → this) | tokens/s | TFLOP/s | of peak | time: linear / attention / quantization / rest |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        TransformerProfiler.Row fp = rows.stream().filter(x -> x.bits().equals("fp")).findFirst().orElse(null);
        for (TransformerProfiler.Row r : rows) {
            String speedup = fp == null ? "" : String.format(Locale.ROOT, "%.3f", fp.medianMs() / r.medianMs());
            csv.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%.3f,%.3f,%d,%d,%d,%.1f,%.4g,%.2f,%s,%b,%s,%s,%.4f,%.4f,%.4f%n",
                    r.model(), r.device(), r.precision(), r.bits(), r.attention(), r.batch(), r.frames(), r.height(),
                    r.width(), r.layers(), r.videoTokens(), r.warmup(), r.runs(), r.medianMs(), r.minMs(),
                    r.memoryBytes(), r.weightBytesFull(), r.weightBytes(), r.tokensPerSecond(), r.flops(),
                    r.tflopsPerSecond(), Double.isNaN(r.peakFraction()) ? "" : String.format(Locale.ROOT, "%.4f",
                            r.peakFraction()), r.finite(), r.kernel(), speedup, r.shareLinear(), r.shareAttention(),
                    r.shareQuantization()));
            md.append(String.format(Locale.ROOT, "| %s (%d blocks) | %s | %s | %s | %s | %dx%dx%d, batch %d | %d | %.1f | %s | %.2f | "
                    + "%.0f → %.0f | %.0f | %.1f | %s | %.0f / %.0f / %.0f / %.0f%% |%n", r.model(), r.layers(), r.device(), r.precision(), r.bits(),
                    r.kernel(), r.width(), r.height(), r.frames(), r.batch(), r.videoTokens(), r.medianMs(),
                    speedup.isEmpty() ? "–" : speedup + "x",
                    r.memoryBytes() / (double) (1L << 30), r.weightBytesFull() / 1048576.0,
                    r.weightBytes() / 1048576.0, r.tokensPerSecond(), r.tflopsPerSecond(),
                    Double.isNaN(r.peakFraction()) ? "–" : String.format(Locale.ROOT, "%.1f%%", 100 * r.peakFraction()),
                    100 * r.shareLinear(), 100 * r.shareAttention(), 100 * r.shareQuantization(),
                    100 * Math.max(0, 1 - r.shareLinear() - r.shareAttention() - r.shareQuantization())));
        }
        md.append("\nMedian of warm runs, each ended by a device synchronisation; FLOPs counted analytically "
                + "(matrix products only); low-bit rows run RTN's quantization of the linear layers inside the blocks, "
                + "either simulated (fake-quantized, float GEMMs; weights counted in the packed format) or on real "
                + "low-bit kernels (fp8, fp8-packed, int8: integer codes on the device, weights counted as stored); "
                + "attention stays at the compute precision in every row; speed-up against the fp row of the same "
                + "process. Memory: the row's peak, measured from a reset before its runs: on CUDA the device memory "
                + "in use after the runs (CUDA context plus the caching allocator's peak reservation since its unused "
                + "blocks were freed before the runs; DJL has no binding for max_memory_allocated), on the CPU the "
                + "process's peak RSS since it was reset; real low-bit rows hold the codes without the dense weights. "
                + "Time shares: one more forward after the timed runs, waiting for the device before and after every "
                + "linear layer, attention and activation-quantizer call (exclusive times; the real kernels quantize "
                + "inside their linear call on CUDA, so there quantization counts as linear). Real kernels "
                + (dev.qvgen.quantizer.deploy.SharedActivationCodes.enabled()
                        ? "quantize an input once for the layers that read it (q, k and v)"
                        : "quantize their input in every layer (-D" + dev.qvgen.quantizer.deploy.SharedActivationCodes
                                .PROPERTY + "=false)")
                + ".\n");
        Files.writeString(dir.resolve("profile.csv"), csv.toString());
        Files.writeString(dir.resolve("profile.json"), new GsonBuilder().setPrettyPrinting()
                .serializeSpecialFloatingPointValues().create().toJson(rows));
        Files.writeString(dir.resolve("profile.md"), md.toString());
        System.out.println("wrote " + dir.resolve("profile.csv") + ", profile.json and profile.md");
    }
}
