package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Scopes;
import dev.qvgen.models.vae.Conv;
import dev.qvgen.models.vae.Parameterless;
import dev.qvgen.models.vae.VaeOps;

/**
 * diffusers' {@code WanResample}: 2× spatial up/down sampling per frame ("resample.1" is the
 * Conv2d after the upsample or the zero pad), and for the 3D modes a temporal step through the
 * feature cache — {@code time_conv} doubles the frames (upsample, skipped on the first chunk) or
 * halves them with stride 2 (downsample, skipped on the first chunk, which has one frame).
 */
final class WanResample extends Module implements WanCachedLayer {
    enum Mode { UPSAMPLE2D, UPSAMPLE3D, DOWNSAMPLE2D, DOWNSAMPLE3D }

    private final Mode mode;
    private final int dim;
    private final Conv conv;
    private final WanCausalConv3d timeConv;

    WanResample(int dim, Mode mode, int upsampleOutDim) {
        this.mode = mode;
        this.dim = dim;
        ModuleList<Module> seq = child("resample", new ModuleList<>());
        boolean up = mode == Mode.UPSAMPLE2D || mode == Mode.UPSAMPLE3D;
        seq.add(new Parameterless(up ? "Upsample(2, nearest-exact)" : "ZeroPad2d(0, 1, 0, 1)"));
        conv = up ? Conv.conv2d(dim, upsampleOutDim, 3, 1, 1) : Conv.conv2d(dim, dim, 3, 2, 0);
        seq.add(conv);
        if (mode == Mode.UPSAMPLE3D) {
            timeConv = child("time_conv", new WanCausalConv3d(dim, dim * 2,
                    new int[] {3, 1, 1}, new int[] {1, 1, 1}, new int[] {1, 0, 0}));
        } else if (mode == Mode.DOWNSAMPLE3D) {
            timeConv = child("time_conv", new WanCausalConv3d(dim, dim,
                    new int[] {3, 1, 1}, new int[] {2, 1, 1}, new int[] {0, 0, 0}));
        } else {
            timeConv = null;
        }
    }

    @Override
    public NDArray forward(NDArray x, WanFeatCache cache) {
        // each step in its own scope, its input closed once used unless it is the caller's (WanSteps):
        // the time conv's 2x-wide output and its interleaved copy are gone before the 4x-sized spatial step
        NDArray timed = mode == Mode.UPSAMPLE3D && cache != null ? Scopes.scoped(() -> upsampleTime(x, cache)) : x;
        NDArray out = Scopes.scoped(() -> VaeOps.perFrame(timed, this::spatial));
        if (timed != x) {
            timed.close();
        }
        if (mode == Mode.DOWNSAMPLE3D && cache != null) {
            Object slot = cache.current();
            if (slot == null) {
                cache.advance(out.duplicate());
            } else {
                NDArray spatialOut = out;
                NDArray next = VaeOps.lastFrames(spatialOut, 1);
                out = Scopes.scoped(() -> timeConv.forward(VaeOps.concat(2, VaeOps.lastFrames((NDArray) slot, 1),
                        spatialOut), (NDArray) null));
                spatialOut.close();
                cache.advance(next);
            }
        }
        return out;
    }

    private NDArray upsampleTime(NDArray x, WanFeatCache cache) {
        Object slot = cache.current();
        if (slot == null) {
            cache.advance(WanFeatCache.REP);
            return x;
        }
        Shape s = x.getShape();
        long b = s.get(0);
        long t = s.get(2);
        long h = s.get(3);
        long w = s.get(4);
        NDArray next = VaeOps.lastFrames(x, WanFeatCache.CACHE_T);
        if (next.getShape().get(2) < 2) {
            NDArray front = slot == WanFeatCache.REP ? next.zerosLike() : VaeOps.lastFrames((NDArray) slot, 1);
            next = VaeOps.concat(2, front, next);
        }
        NDArray y = timeConv.forward(x, slot == WanFeatCache.REP ? null : (NDArray) slot);
        cache.advance(next);
        // (b, 2c, t) → (b, 2, c, t) → frames interleaved: (b, c, t, 2) → (b, c, 2t).
        return y.reshape(b, 2, dim, t, h, w).transpose(0, 2, 3, 1, 4, 5).reshape(b, dim, 2 * t, h, w);
    }

    private NDArray spatial(NDArray frames) {
        if (mode == Mode.UPSAMPLE2D || mode == Mode.UPSAMPLE3D) {
            // nearest-exact with factor 2 picks source pixel floor((i + 0.5) / 2) = i / 2: a repeat.
            NDArray rows = frames.repeat(2, 2);
            NDArray up = rows.repeat(3, 2);
            rows.close();
            NDArray out = conv.forward(up);
            up.close();
            return out;
        }
        return conv.forward(VaeOps.padZeros(VaeOps.padZeros(frames, 2, 0, 1), 3, 0, 1));
    }
}
