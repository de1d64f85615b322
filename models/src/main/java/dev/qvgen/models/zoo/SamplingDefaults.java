package dev.qvgen.models.zoo;

/**
 * The published text-to-video sampling settings of a model.
 *
 * @param scheduler the diffusers scheduler class the settings go with
 * @param schedulerShift the scheduler's shift: {@code flow_shift} for Wan's flow-matching UniPC,
 *     {@code snr_shift_scale} for CogVideoX's DDIM
 */
public record SamplingDefaults(
        int width,
        int height,
        int frames,
        int fps,
        int steps,
        String scheduler,
        double schedulerShift,
        double guidanceScale) {}
