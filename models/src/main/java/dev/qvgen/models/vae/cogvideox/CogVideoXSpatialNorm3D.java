package dev.qvgen.models.vae.cogvideox;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.vae.GroupNorm;
import dev.qvgen.models.vae.VaeOps;

/**
 * diffusers' {@code CogVideoXSpatialNorm3D}: GroupNorm of the features, then a scale and shift
 * computed by 1×1×1 convolutions from the latent {@code zq}, resized (nearest) to the features'
 * frames and pixels. With an odd frame count above one, the first frame is resized on its own, so
 * the first latent frame maps to the first video frame only.
 */
final class CogVideoXSpatialNorm3D extends Module {
    private final GroupNorm normLayer;
    private final CogVideoXCausalConv3d convY;
    private final CogVideoXCausalConv3d convB;

    CogVideoXSpatialNorm3D(int fChannels, int zqChannels, int groups) {
        normLayer = child("norm_layer", new GroupNorm(groups, fChannels, 1e-6f));
        convY = child("conv_y", new CogVideoXCausalConv3d(zqChannels, fChannels, 1));
        convB = child("conv_b", new CogVideoXCausalConv3d(zqChannels, fChannels, 1));
    }

    NDArray forward(NDArray f, NDArray zq, CogVideoXConvCache cache) {
        Shape fs = f.getShape();
        long t = fs.get(2);
        if (t > 1 && t % 2 == 1) {
            NDArray first = resize(VaeOps.slice(zq, 2, 0, 1), 1, fs);
            NDArray rest = resize(VaeOps.slice(zq, 2, 1, zq.getShape().get(2)), t - 1, fs);
            zq = VaeOps.concat(2, first, rest);
        } else {
            zq = resize(zq, t, fs);
        }
        NDArray y = convY.forward(zq, cache);
        NDArray b = convB.forward(zq, cache);
        return normLayer.forward(f).mul(y).add(b);
    }

    private static NDArray resize(NDArray z, long frames, Shape f) {
        z = VaeOps.nearestResize(z, 2, frames);
        z = VaeOps.nearestResize(z, 3, f.get(3));
        return VaeOps.nearestResize(z, 4, f.get(4));
    }
}
