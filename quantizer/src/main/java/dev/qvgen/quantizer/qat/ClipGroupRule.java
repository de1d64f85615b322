package dev.qvgen.quantizer.qat;

import java.util.Locale;

/**
 * How {@link ClippedDynamicActQuantizer} picks the timestep group (which pair of clip logits) for a
 * forward pass. G is the number of groups (50 in the official recipe).
 */
public enum ClipGroupRule {
    /**
     * {@code floor(t / 1000 * G)}: a group is a band of noise levels, the same in training and
     * sampling. This harness trains and deploys with it.
     */
    NOISE_LEVEL,
    /**
     * {@code int(t) mod G}: the official training ({@code LearnableClippedDynamicQuantizer.set_idx},
     * called with {@code (sigmas * 1000).long()} each step, ModelTC/QVGen training/trainer.py).
     */
    TIMESTEP_MOD,
    /**
     * The official inference ({@code set_auto(True)} before each pipeline call, inference/wan.py and
     * cogvideo.py with {@code --fix}): each quantizer counts its own calls; call k of a generation
     * (k = 0, 1, ...) uses group {@code G - 1 - k}, and from call G - 1 on group 0. With classifier-free
     * guidance Wan calls the transformer twice per step (conditional, then unconditional) and CogVideoX
     * once on a batch of two, so Wan's 50 steps reach group 0 at step 25 and CogVideoX's at step 50.
     * The count restarts at {@link ClippedDynamicActQuantizer#restartCountdown()} and, so that every
     * generation starts over without the pipeline's help, when a call's timestep is above the
     * previous call's (denoising timesteps never rise within one generation).
     */
    CALL_COUNTDOWN;

    /** The name used in export metadata and options: {@code noise-level}, {@code timestep-mod}, {@code call-countdown}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static ClipGroupRule parse(String label) {
        for (ClipGroupRule r : values()) {
            if (r.label().equals(label)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown clip group rule '" + label
                + "' (noise-level, timestep-mod, call-countdown)");
    }
}
