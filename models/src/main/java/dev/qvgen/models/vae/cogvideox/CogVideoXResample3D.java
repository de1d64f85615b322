package dev.qvgen.models.vae.cogvideox;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.vae.Conv;
import dev.qvgen.models.vae.VaeOps;

/**
 * diffusers' {@code CogVideoXDownsample3D} / {@code CogVideoXUpsample3D} ("conv" is a Conv2d run
 * per frame). With {@code compress_time} the frames are also halved (average of pairs) or doubled
 * (nearest); an odd frame count keeps the first frame apart, which is how 1 + 4k frames map to
 * 1 + k latents and back.
 */
final class CogVideoXResample3D extends Module {
    private final boolean up;
    private final boolean compressTime;
    private final Conv conv;

    private CogVideoXResample3D(int channels, boolean up, boolean compressTime) {
        this.up = up;
        this.compressTime = compressTime;
        conv = child("conv", up ? Conv.conv2d(channels, channels, 3, 1, 1) : Conv.conv2d(channels, channels, 3, 2, 0));
    }

    static CogVideoXResample3D down(int channels, boolean compressTime) {
        return new CogVideoXResample3D(channels, false, compressTime);
    }

    static CogVideoXResample3D up(int channels, boolean compressTime) {
        return new CogVideoXResample3D(channels, true, compressTime);
    }

    NDArray forward(NDArray x) {
        return up ? upsample(x) : downsample(x);
    }

    private NDArray downsample(NDArray x) {
        if (compressTime) {
            long t = x.getShape().get(2);
            if (t % 2 == 1) {
                NDArray first = VaeOps.slice(x, 2, 0, 1);
                x = t > 1 ? VaeOps.concat(2, first, pairMean(VaeOps.slice(x, 2, 1, t))) : first;
            } else {
                x = pairMean(x);
            }
        }
        // F.pad(x, (0, 1, 0, 1)): one zero column on the right, one zero row at the bottom.
        NDArray padded = VaeOps.padZeros(VaeOps.padZeros(x, 4, 0, 1), 3, 0, 1);
        return VaeOps.perFrame(padded, conv::forward);
    }

    /** avg_pool1d(kernel 2, stride 2) over frames: (a + b) / 2 of consecutive pairs. */
    private static NDArray pairMean(NDArray x) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), s.get(2) / 2, 2, s.get(3), s.get(4)).mean(new int[] {3});
    }

    private NDArray upsample(NDArray x) {
        long t = x.getShape().get(2);
        if (compressTime && t > 1 && t % 2 == 1) {
            NDArray first = space2x(VaeOps.slice(x, 2, 0, 1));
            NDArray rest = space2x(VaeOps.slice(x, 2, 1, t)).repeat(2, 2);
            x = VaeOps.concat(2, first, rest);
        } else if (compressTime && t > 1) {
            x = space2x(x).repeat(2, 2);
        } else {
            x = space2x(x);
        }
        return VaeOps.perFrame(x, conv::forward);
    }

    /** F.interpolate(scale_factor=2), mode nearest, over height and width: every pixel twice. */
    private static NDArray space2x(NDArray x) {
        return x.repeat(3, 2).repeat(4, 2);
    }
}
