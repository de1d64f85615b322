package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.models.nn.Module;

/** torch.nn.Embedding: a (num, dim) table looked up by integer id. */
final class Embedding extends Module {
    private final Parameter weight;

    Embedding(int num, int dim) {
        weight = param("weight", new Shape(num, dim));
    }

    /** Ids of any shape and integer or float type (a fixture may store them as float32) to (..., dim). */
    NDArray lookup(NDArray ids) {
        NDArray table = weight.getArray();
        Shape s = ids.getShape();
        NDArray flat = ids.toType(DataType.INT64, false).reshape(-1).toDevice(table.getDevice(), false);
        long[] out = new long[s.dimension() + 1];
        System.arraycopy(s.getShape(), 0, out, 0, s.dimension());
        out[s.dimension()] = table.getShape().get(1);
        return table.get(flat).reshape(new Shape(out));
    }

    NDArray weight() {
        return weight.getArray();
    }
}
