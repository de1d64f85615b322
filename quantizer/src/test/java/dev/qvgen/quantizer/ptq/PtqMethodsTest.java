package dev.qvgen.quantizer.ptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.TinyNet;
import dev.qvgen.quantizer.deploy.DeployedLinearKernel;
import dev.qvgen.quantizer.deploy.PackedLinear;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

class PtqMethodsTest {
    @Test
    void channelStatsRecordTheLargestMagnitudePerInputChannel() {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet net = new TinyNet(m, 1);
            NDArray x = m.create(new float[] {1, -9, 0, 0, 0, 0, 0, 2, -3, 1, 0, 0, 0, 0, 0, -5}, new Shape(1, 2, 8));
            NDArray fp = net.forward(x, null);
            Map<String, float[]> stats;
            try (ChannelStats s = ChannelStats.observe(net, LayerSelection.insideBlocks(java.util.List.of("blocks.")))) {
                assertArrayEquals(fp.toFloatArray(), net.forward(x, null).toFloatArray(), "observing changes nothing");
                stats = s.absMax();
            }
            assertArrayEquals(new float[] {3, 9, 0, 0, 0, 0, 0, 5}, stats.get("blocks.0.fc1"));
            assertEquals(16, stats.get("blocks.0.fc2").length);
        }
    }

    @Test
    void smoothingDivisorsFollowTheMigrationFormula() {
        // w column maxima [2, 0.5]; activation maxima [8, 2]; alpha 0.5: s = sqrt(a) / sqrt(w)
        float[] s = Smoothing.divisors(new float[] {2f, 0.5f, -1f, 0.25f}, 2, 2, new float[] {8f, 2f}, 0.5f);
        assertArrayEquals(new float[] {2f, 2f}, s, 1e-6f);
        assertArrayEquals(new float[] {4f, 1f, -2f, 0.5f}, Smoothing.scaleColumns(new float[] {2f, 0.5f, -1f, 0.25f},
                2, 2, s), 1e-6f);
    }

    /** A layer whose input has one outlier channel, as diffusion transformers' activations do. */
    private static final class Case implements AutoCloseable {
        final NDManager m = NDManager.newBaseManager();
        final Linear layer = new Linear(32, 24, true);
        final NDArray x;
        final float[] absMax = new float[32];

        Case() {
            SplittableRandom r = new SplittableRandom(3);
            float[] w = new float[24 * 32];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) r.nextGaussian() * 0.1f;
            }
            layer.getParameters().get("weight").setArray(m.create(w, new Shape(24, 32)));
            layer.getParameters().get("bias").setArray(m.zeros(new Shape(24)));
            float[] xs = new float[64 * 32];
            for (int t = 0; t < 64; t++) {
                for (int j = 0; j < 32; j++) {
                    float v = (float) r.nextGaussian() * (j == 5 ? 40f : 1f);
                    xs[t * 32 + j] = v;
                    absMax[j] = Math.max(absMax[j], Math.abs(v));
                }
            }
            x = m.create(xs, new Shape(64, 32));
        }

        double error(PackedLinear p) {
            try (DeployedLinearKernel k = new DeployedLinearKernel(p, m)) {
                return Tensors.relativeL2(k.apply(layer, x), layer.dense(x));
            }
        }

        @Override
        public void close() {
            m.close();
        }
    }

    @Test
    void calibratedMethodsBeatRtnOnAnActivationOutlierAndSvdQuantKeepsItsBranch() {
        try (Case c = new Case()) {
            double rtn = c.error(Rtn.pack(c.layer, QuantSpec.W4A4));
            double vidit = c.error(Methods.get("vidit-q").packer().pack(c.layer, QuantSpec.W4A4, c.absMax));
            PackedLinear svd = Methods.get("svdquant").packer().pack(c.layer, QuantSpec.W4A4, c.absMax);
            double svdq = c.error(svd);
            assertTrue(vidit < rtn, "ViDiT-Q " + vidit + " vs RTN " + rtn);
            assertTrue(svdq < rtn, "SVDQuant " + svdq + " vs RTN " + rtn);
            assertEquals(12, svd.rank(), "rank 32 capped at min(24, 32) / 2");
            assertEquals(12L * (32 + 24), svd.lowRankMacsPerToken());
        }
    }

    @Test
    void svdQuantAtEightBitsIsNearlyExact() {
        try (Case c = new Case()) {
            PackedLinear p = SvdQuant.pack(c.layer, QuantSpec.W8A8, c.absMax, 0.5f, 24);
            // Low-rank path exact (16-bit in deployment, float here), residual at 8 bits: small error.
            assertEquals(12, p.rank());
            assertTrue(c.error(p) < 1e-3, "error " + c.error(p));
        }
    }
}
