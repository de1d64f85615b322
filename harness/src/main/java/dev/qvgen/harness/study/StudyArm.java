package dev.qvgen.harness.study;

import dev.qvgen.quantizer.QuantSpec;

/** One row of the study: a method at a bit width ("fp" has no bit width). */
public record StudyArm(String method, QuantSpec spec) {
    public static final String FP = "fp";

    public String bitsLabel() {
        return spec == null ? "fp32" : spec.label();
    }

    /** Directory name of this arm's videos, e.g. {@code rtn-w3a3}. */
    public String key() {
        return spec == null ? method : method + "-" + spec.label();
    }
}
