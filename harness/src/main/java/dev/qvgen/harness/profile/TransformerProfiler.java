package dev.qvgen.harness.profile;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.OpClock;
import dev.qvgen.models.zoo.TransformerWorkload;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.deploy.BitPacking;
import dev.qvgen.quantizer.deploy.LowBitLayout;
import dev.qvgen.quantizer.deploy.LowBitLinearKernel;
import dev.qvgen.quantizer.deploy.SharedActivationCodes;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Times one denoising step of a transformer (its forward pass on one step's inputs): median of
 * warm runs, each ended by a device synchronisation, plus memory, weight bytes, throughput and
 * the achieved fraction of the accelerator's peak.
 *
 * <p>A low-bit setting ({@code w4a4}...) installs RTN fake-quantized kernels on the layers
 * inside the blocks (the layers QVGen quantizes): its latency is that of the simulated
 * quantized model (float GEMMs over quantized values plus per-token activation quantization),
 * not of an integer kernel, which DJL does not have; its weight bytes are those of the packed
 * deployment format ({@link BitPacking} codes plus a float32 scale and zero point per output
 * channel, as {@link dev.qvgen.quantizer.deploy.PackedLinear#deployedBytes()} counts them), with
 * every other parameter at the compute precision.
 */
public final class TransformerProfiler {
    /** One measured setting. */
    public record Row(String model, String device, String precision, String bits, String attention, int batch,
            int frames, int height, int width, int layers, long videoTokens, int warmup, int runs, double medianMs,
            double minMs, long memoryBytes, long weightBytesFull, long weightBytes, double tokensPerSecond,
            double flops, double tflopsPerSecond, double peakFraction, boolean finite, String kernel,
            double shareLinear, double shareAttention, double shareQuantization) {}

    private final PrintStream log;

    public TransformerProfiler(PrintStream log) {
        this.log = log;
    }

    /**
     * @param bits "fp" for the model as is, else a {@link QuantSpec} label such as w4a4
     * @param peakTflops the accelerator's dense peak for {@code type}, or 0 (CPU) for none
     */
    public List<Row> profile(String model, Module transformer, TransformerWorkload w, Device device, DataType type,
            List<String> bits, int warmup, int runs, double peakTflops, String attention, NDManager manager) {
        return profile(model, transformer, w, device, type, bits, warmup, runs, peakTflops, attention, manager,
                SIMULATED);
    }

    /** The kernels a low-bit setting can run on: the fake-quantized simulation, or real low-bit GEMMs. */
    public static final String SIMULATED = "simulated";
    public static final List<String> KERNELS = List.of(SIMULATED, "fp8", "fp8-packed", "int8");

    /**
     * @param kernel {@link #SIMULATED}, or a real low-bit kernel ({@code fp8}, {@code fp8-packed},
     *     {@code int8}: {@link LowBitLinearKernel} with RTN's codes; attention and every other op stay
     *     at the compute precision)
     */
    public List<Row> profile(String model, Module transformer, TransformerWorkload w, Device device, DataType type,
            List<String> bits, int warmup, int runs, double peakTflops, String attention, NDManager manager,
            String kernel) {
        return profile(model, transformer, w, device, type, bits, warmup, runs, peakTflops, attention, manager,
                List.of(kernel));
    }

    /**
     * One row for "fp" and one per low-bit setting and kernel of {@code kernels}, in that order,
     * all on the same model, inputs and process (so the speed-ups compare like with like).
     */
    public List<Row> profile(String model, Module transformer, TransformerWorkload w, Device device, DataType type,
            List<String> bits, int warmup, int runs, double peakTflops, String attention, NDManager manager,
            List<String> kernels) {
        long full = weightBytes(transformer, type, 0);
        List<Row> rows = new ArrayList<>();
        NDList inputs = w.randomInputs(manager, type, 11);
        List<String[]> settings = new ArrayList<>();
        for (String b : bits) {
            if (b.equals("fp")) {
                settings.add(new String[] {b, SIMULATED});
            } else {
                for (String k : kernels) {
                    settings.add(new String[] {b, k});
                }
            }
        }
        for (String[] setting : settings) {
            String b = setting[0];
            String kernel = setting[1];
            QuantSpec spec = b.equals("fp") ? null : QuantSpec.parse(b);
            long realBytes = -1;
            SharedActivationCodes group = null;
            if (spec != null && kernel.equals(SIMULATED)) {
                // the dense weights wait on the host, as for the real kernels: the row holds what a
                // simulated deployment holds (int8 codes and steps)
                new Rtn().apply(transformer, spec, LayerSelection.insideBlocks(DenoisingTransformer.of(transformer).blockPrefixes()),
                        dev.qvgen.quantizer.DenseWeight.PARK);
            } else if (spec != null) {
                // parked, not freed: the next row quantizes the same dense weights
                group = SharedActivationCodes.groupIfEnabled();
                realBytes = installReal(transformer, spec, kernel, type, manager, dev.qvgen.quantizer.DenseWeight.PARK,
                        group);
            }
            try {
                // the row's peak is measured from here (Devices.resetPeak: on CUDA the allocator's
                // unused blocks are freed, on the CPU the peak RSS is reset)
                Devices.resetPeak(device);
                double[] ms = new double[runs];
                boolean finite = true;
                for (int i = 0; i < warmup + runs; i++) {
                    try (NDScope scope = new NDScope()) {
                        long t0 = System.nanoTime();
                        NDArray out = TransformerWorkload.forward(transformer, inputs);
                        Devices.sync(out);
                        long t1 = System.nanoTime();
                        if (i >= warmup) {
                            ms[i - warmup] = (t1 - t0) / 1e6;
                        }
                        if (i == warmup + runs - 1) {
                            finite = Float.isFinite(out.toType(DataType.FLOAT32, false).abs().max().getFloat());
                        }
                    }
                }
                long mem = Devices.peakSinceReset(device);
                // after the timed runs and the memory reading: a pass that waits for the device
                // around every linear, attention and quantizer call, for where the time goes
                OpClock.Shares shares;
                try (NDScope scope = new NDScope()) {
                    shares = OpClock.measure(() -> TransformerWorkload.forward(transformer, inputs));
                }
                double[] sorted = ms.clone();
                Arrays.sort(sorted);
                double median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
                double flops = w.flops();
                double tflops = flops / (median / 1e3) / 1e12;
                Row r = new Row(model, device.toString(), dev.qvgen.layers.nn.Precision.label(type), b,
                        attention, w.batch(), w.frames(), w.height(), w.width(), layers(transformer), w.videoTokens(),
                        warmup, runs, median, sorted[0], mem, full,
                        spec == null ? full : realBytes >= 0 ? realBytes : weightBytes(transformer, type, spec.weightBits()),
                        w.batch() * w.videoTokens() / (median / 1e3), flops, tflops,
                        peakTflops > 0 ? tflops / peakTflops : Double.NaN, finite, spec == null ? "dense" : kernel,
                        shares.linear() / shares.total(), shares.attention() / shares.total(),
                        shares.quantization() / shares.total());
                Row fp = rows.stream().filter(x -> x.bits().equals("fp")).findFirst().orElse(null);
                log.printf("[profile] %s %s %s %s (%s): median %.2f ms (min %.2f, %d runs), %.1f TFLOP/s, memory %.2f GiB, "
                        + "weights %.3f GiB%s%n", model, r.device(), r.precision(), b, r.kernel(), median, sorted[0], runs,
                        tflops, mem / (double) (1L << 30), r.weightBytes() / (double) (1L << 30),
                        fp == null ? "" : String.format(java.util.Locale.ROOT, ", %.3fx the %s forward of this process",
                                fp.medianMs() / median, fp.precision()));
                log.printf(java.util.Locale.ROOT, "[profile] %s %s (%s): time shares, one pass synchronised around each "
                        + "op (%.1f ms): %s%s%n", model, b, r.kernel(), shares.total() * 1e3, shares.describe(),
                        spec != null && !kernel.equals(SIMULATED) ? " (the real kernel's quantizer runs inside its "
                                + "linear call on CUDA and counts as linear there)" : "");
                if (spec != null && !kernel.equals(SIMULATED)) {
                    log.printf("[profile] %s: linear layers inside the blocks run as %s GEMMs on integer codes; attention, "
                            + "norms and the other layers stay %s%n", b, kernel, r.precision());
                    // whether the models hand q, k and v one array (the sharing is keyed on it)
                    log.printf("[profile] %s (%s): activation codes %s%n", b, kernel, group == null
                            ? "made by every layer (sharing off)" : "made " + group.quantized() + " times and reused "
                                    + group.reused() + " times over all passes of the row");
                }
                rows.add(r);
            } finally {
                if (spec != null) {
                    // closes the row's kernels (codes, fake-quantized weights) and puts parked dense weights back
                    Rtn.restore(transformer);
                }
            }
            // what the row left behind: nothing but the model (the same count of live arrays after every row)
            log.printf(java.util.Locale.ROOT, "[profile] %s %s (%s): after the row %.2f GiB held (%s), %d arrays live in "
                    + "the model's manager%n", model, b, spec == null ? "dense" : kernel,
                    Devices.inUseNow(device) / (double) (1L << 30), device.isGpu() ? "device" : "process RSS, "
                            + "Java heap included", manager.getManagedArrays().size());
        }
        return rows;
    }

    /**
     * Installs {@link LowBitLinearKernel}s with RTN's codes on the layers inside the blocks; returns
     * the weight bytes of the transformer so deployed (codes, scales and offsets for those layers,
     * every other parameter at {@code type}'s width). The dense weights of those layers leave the
     * device ({@code dense}: freed, or parked on the host until {@link Rtn#restore} closes the
     * kernels), so the row's memory is that of the deployed model.
     */
    public static long installReal(Module transformer, QuantSpec spec, String kernel, DataType type, NDManager manager,
            dev.qvgen.quantizer.DenseWeight denseWeight) {
        return installReal(transformer, spec, kernel, type, manager, denseWeight,
                SharedActivationCodes.groupIfEnabled());
    }

    /**
     * {@link #installReal} with the kernels in {@code group} (null: each layer quantizes its own
     * input), so the caller can read how often the codes were made and reused.
     */
    public static long installReal(Module transformer, QuantSpec spec, String kernel, DataType type, NDManager manager,
            dev.qvgen.quantizer.DenseWeight denseWeight, SharedActivationCodes group) {
        LowBitLayout.Codes codes = kernel.startsWith("fp8") ? LowBitLayout.Codes.FP8 : LowBitLayout.Codes.INT8;
        boolean packed = kernel.endsWith("-packed");
        LowBitLinearKernel.check(spec, codes, packed);
        Map<String, Linear> layers = LayerSelection.linears(transformer, LayerSelection.insideBlocks(
                DenoisingTransformer.of(transformer).blockPrefixes()));
        long quantized = 0;
        long dense = 0;
        // one group for the whole transformer: q, k and v (and cross-attention's k and v) quantize
        // their common input once; -Dqvgen.lowbit.shareActivationCodes=false quantizes per layer (A/B)
        for (Linear l : layers.values()) {
            LowBitLinearKernel k = LowBitLinearKernel.rtn(l, spec, codes, packed, manager)
                    .shareActivationCodes(group).install(l, denseWeight);
            quantized += k.deviceBytes();
            dense += (long) l.outFeatures() * l.inFeatures() * type.getNumOfBytes();
        }
        return weightBytes(transformer, type, 0) - dense + quantized;
    }

    /**
     * Weight bytes: every parameter at {@code type}'s width, except, for {@code bits > 0}, the
     * linear layers inside the blocks, packed ({@code out * bytesPerRow(in, bits)} plus a float32
     * scale and zero point per output channel).
     */
    public static long weightBytes(Module transformer, DataType type, int bits) {
        Map<String, Linear> quantized = bits > 0 ? LayerSelection.linears(transformer, LayerSelection.insideBlocks(DenoisingTransformer.of(transformer).blockPrefixes()))
                : Map.of();
        long total = 0;
        for (Map.Entry<String, Shape> e : dev.qvgen.layers.io.WeightLoader.declaredShapes(transformer).entrySet()) {
            String name = e.getKey();
            int dot = name.lastIndexOf('.');
            Linear l = dot < 0 ? null : quantized.get(name.substring(0, dot));
            if (l != null && name.endsWith(".weight")) {
                total += (long) l.outFeatures() * BitPacking.bytesPerRow(l.inFeatures(), bits) + 8L * l.outFeatures();
            } else {
                total += e.getValue().size() * type.getNumOfBytes();
            }
        }
        return total;
    }

    static int layers(Module transformer) {
        return DenoisingTransformer.of(transformer).blockCount();
    }
}
