package dev.qvgen.suites.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Groupings of a (shard's) items for a runner that quantizes a model once per arm. */
public final class PlanItems {
    /** One (slice, method, bits): a model quantized one way and sampled one way. */
    public record Arm(String slice, String model, Sampling sampling, String method, String bits) {
        /** {@code fp} or {@code method-bits}, as {@link PlanItem#arm()}. */
        public String key() {
            return method.equals(PlanItem.FP) ? PlanItem.FP : method + "-" + bits;
        }
    }

    private PlanItems() {}

    /** Items grouped by arm, arms in order of first item, items in their order. */
    public static Map<Arm, List<PlanItem>> byArm(List<PlanItem> items) {
        Map<Arm, List<PlanItem>> out = new LinkedHashMap<>();
        for (PlanItem i : items) {
            out.computeIfAbsent(new Arm(i.slice(), i.model(), i.sampling(), i.method(), i.bits()),
                    k -> new ArrayList<>()).add(i);
        }
        out.replaceAll((k, v) -> Collections.unmodifiableList(v));
        return Collections.unmodifiableMap(out);
    }
}
