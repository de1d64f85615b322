package dev.qvgen.models.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;

import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (decoupled weight decay, bias-corrected moments) over a list of parameters, with
 * global gradient-norm clipping; a step whose gradient is not finite is skipped. Moments live beside the parameters, on their device.
 */
public final class AdamW {
    private final List<Parameter> params;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private int step;
    private int skipped;

    public AdamW(List<Parameter> params, float beta1, float beta2, float eps, float weightDecay) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Parameter p : params) {
            m.add(p.getArray().zerosLike());
            v.add(p.getArray().zerosLike());
        }
    }

    /** Global L2 norm of all gradients (before clipping). */
    public double gradientNorm() {
        double sq = 0;
        for (Parameter p : params) {
            NDArray g = p.getArray().getGradient();
            sq += g.square().sum().getFloat();
            g.close();
        }
        return Math.sqrt(sq);
    }

    /**
     * Applies one update with learning rate {@code lr}, clipping the global gradient norm to
     * {@code maxNorm} (no clipping if maxNorm <= 0). Returns the norm before clipping.
     */
    public double step(float lr, double maxNorm) {
        double norm = gradientNorm();
        if (!Double.isFinite(norm)) {
            // As AMP's gradient scaler does: a non-finite gradient skips the update instead of
            // poisoning the weights; the caller logs the norm, so skipped steps stay visible.
            skipped++;
            return norm;
        }
        float clip = maxNorm > 0 && norm > maxNorm ? (float) (maxNorm / (norm + 1e-6)) : 1f;
        step++;
        float bc1 = 1f - (float) Math.pow(beta1, step);
        float bc2 = 1f - (float) Math.pow(beta2, step);
        for (int i = 0; i < params.size(); i++) {
            NDArray w = params.get(i).getArray();
            NDArray g = w.getGradient();
            NDArray gc = clip == 1f ? g : g.mul(clip);
            m.get(i).muli(beta1).addi(gc.mul(1f - beta1));
            v.get(i).muli(beta2).addi(gc.square().muli(1f - beta2));
            NDArray update = m.get(i).div(bc1).divi(v.get(i).div(bc2).sqrt().addi(eps));
            if (weightDecay > 0) {
                w.muli(1f - lr * weightDecay);
            }
            w.subi(update.muli(lr));
            update.close();
            if (gc != g) {
                gc.close();
            }
            g.close();
        }
        return norm;
    }

    /** Updates skipped because the gradient was not finite. */
    public int skippedSteps() {
        return skipped;
    }

    public int stepCount() {
        return step;
    }
}
