package dev.qvgen.models.toy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Gradients stay finite, also for the empty prompt (all padding) used by guidance training. */
class ToyGradientTest {
    @Test
    void gradientsAreFiniteForEmptyAndNonEmptyPrompts() {
        try (NDManager m = NDManager.newBaseManager()) {
            ToyTextEncoderConfig tc = new ToyTextEncoderConfig(20, 16, 32);
            ToyVideoModel model = ToyVideoModel.random(tc, ToyVideoModel.defaultTransformerConfig(32), m, 0);
            Map<String, Parameter> params = new java.util.LinkedHashMap<>();
            model.textEncoder().namedParameters().forEach((k, v) -> params.put("te." + k, v));
            model.transformer().namedParameters().forEach((k, v) -> params.put("tr." + k, v));
            // Move away from the zero-initialised outputs, where most gradients are exactly zero.
            m.getEngine().setRandomSeed(1);
            params.values().forEach(p -> p.getArray().addi(m.randomNormal(p.getArray().getShape()).mul(0.05f)));
            params.values().forEach(p -> p.getArray().setRequiresGradient(true));
            long[] ids = new long[2 * 16];
            ids[0] = 2;
            ids[1] = 5;
            m.getEngine().setRandomSeed(0);
            NDArray x = m.randomNormal(new Shape(2, 3, 8, 32, 32));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray text = model.textEncoder().forward(m.create(ids, new Shape(2, 16)));
                NDArray out = model.transformer().forward(model.input(x), m.create(new float[] {500f, 900f}), text);
                gc.backward(out.sub(x).square().mean());
            }
            List<String> bad = new ArrayList<>();
            params.forEach((k, p) -> {
                NDArray g = p.getArray().getGradient();
                if (g.isNaN().any().getBoolean() || g.isInfinite().any().getBoolean()) {
                    bad.add(k);
                }
            });
            assertTrue(bad.isEmpty(), "non-finite gradients: " + bad);
        }
    }
}
