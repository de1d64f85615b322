package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Scalars;

/**
 * diffusers' {@code WanRMS_norm} (channel-first): {@code F.normalize(x, dim=1) · √C · gamma}, i.e.
 * x divided by its L2 norm over channels (at least 1e-12), not by the RMS plus an epsilon.
 * {@code gamma} is (C, 1, 1) for images and (C, 1, 1, 1) for videos, as published.
 */
final class WanVaeRmsNorm extends Module {
    private final Parameter gamma;
    private final float scale;

    WanVaeRmsNorm(int dim, boolean images) {
        this.gamma = param("gamma", images ? new Shape(dim, 1, 1) : new Shape(dim, 1, 1, 1));
        this.scale = (float) Math.sqrt(dim);
    }

    NDArray forward(NDArray x) {
        // the same ops as before, each full-size temporary closed once the next one exists
        NDArray sq = x.square();
        NDArray sum = sq.sum(new int[] {1}, true);
        sq.close();
        NDArray root = sum.sqrt();
        sum.close();
        NDArray norm = root.maximum(1e-12f);
        root.close();
        NDArray unit = x.div(norm);
        norm.close();
        NDArray scaled = Scalars.mul(unit, scale);
        unit.close();
        NDArray out = scaled.mul(gamma.getArray());
        scaled.close();
        return out;
    }
}
