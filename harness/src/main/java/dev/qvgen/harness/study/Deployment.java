package dev.qvgen.harness.study;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What each quantized arm costs at inference, read from its packed export: bytes of the quantized
 * layers (packed codes, fp32 scales and zero points, fp16 smoothing and low-rank branch) against
 * the same layers in bf16, and the low-rank branch's extra multiply-adds per token (SVDQuant keeps
 * one; QVGen's Φ is gone by then).
 */
public final class Deployment {
    private Deployment() {}

    public record Cost(String arm, long quantizedBytes, long bf16Bytes, long lowRankMacs, long denseMacs) {}

    public static List<Cost> costs(Path runDir) throws IOException {
        List<Cost> out = new ArrayList<>();
        for (String kind : List.of("ptq", "qat")) {
            Path dir = runDir.resolve(kind);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (var arms = Files.list(dir)) {
                for (Path arm : arms.sorted().toList()) {
                    Path export = arm.resolve(QatArm.EXPORT);
                    if (Files.exists(export)) {
                        out.add(cost(arm.getFileName().toString(), export));
                    }
                }
            }
        }
        return out;
    }

    public static Cost cost(String arm, Path export) {
        long q = 0;
        long bf16 = 0;
        long lowRank = 0;
        long dense = 0;
        try (SafeTensorsFile f = SafeTensorsFile.open(export)) {
            for (String name : f.names()) {
                TensorInfo t = f.info(name);
                if (name.endsWith(".qweight")) {
                    q += t.numel();
                } else if (name.endsWith(".wscale") || name.endsWith(".wzero")) {
                    q += 4 * t.numel();
                } else if (name.endsWith(".smooth") || name.endsWith(".lowrank_down") || name.endsWith(".lowrank_up")) {
                    q += 2 * t.numel();
                }
                if (name.endsWith(".lowrank_down") || name.endsWith(".lowrank_up")) {
                    lowRank += t.numel();
                }
            }
            for (var e : f.metadata().entrySet()) {
                if (e.getKey().startsWith("qlayer:")) {
                    String layer = e.getKey().substring("qlayer:".length());
                    long out = f.info(layer + ".wscale").numel();
                    int bits = Integer.parseInt(e.getValue().split(",")[0]);
                    // Rows are whole bytes: exact when in * bits is a multiple of 8, as for every layer
                    // of the zoo and the toy (widths are multiples of 8).
                    long in = f.info(layer + ".qweight").shape()[1] * 8 / bits;
                    bf16 += 2 * out * in;
                    dense += out * in;
                }
            }
        }
        return new Cost(arm, q, bf16, lowRank, dense);
    }

    public static List<String> notes(Path runDir) throws IOException {
        List<String> notes = new ArrayList<>();
        for (Cost c : costs(runDir)) {
            notes.add(String.format(Locale.ROOT, "Deployed %s: quantized layers take %d bytes (%.1f%% of bf16's %d)%s.",
                    c.arm(), c.quantizedBytes(), 100.0 * c.quantizedBytes() / c.bf16Bytes(), c.bf16Bytes(),
                    c.lowRankMacs() == 0 ? ", no low-rank branch at inference"
                            : String.format(Locale.ROOT, "; its low-rank branch adds %d multiply-adds per token "
                                    + "(+%.1f%% over the quantized layers' %d)", c.lowRankMacs(),
                                    100.0 * c.lowRankMacs() / c.denseMacs(), c.denseMacs())));
        }
        return notes;
    }
}
