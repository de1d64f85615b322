package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/** torch.nn.Embedding: a (num, dim) table, parameter {@code weight}, looked up by integer id. */
public final class Embedding extends Module {
    private final Parameter weight;

    public Embedding(int num, int dim) {
        weight = param("weight", new Shape(num, dim));
    }

    /**
     * Ids of any shape to (..., dim). Ids may be any integer or float type (fixtures store some as
     * float32). The rows go to the ids' manager: DJL would give them to the table's, a model's
     * long-lived manager, where nothing would free them.
     */
    public NDArray lookup(NDArray ids) {
        NDArray table = weight.getArray();
        Shape s = ids.getShape();
        NDArray flat = ids.toType(DataType.INT64, false).reshape(-1).toDevice(table.getDevice(), false);
        long[] out = new long[s.dimension() + 1];
        System.arraycopy(s.getShape(), 0, out, 0, s.dimension());
        out[s.dimension()] = table.getShape().get(1);
        NDArray rows = table.get(flat).reshape(new Shape(out));
        rows.attach(ids.getManager());
        return rows;
    }

    public NDArray weight() {
        return weight.getArray();
    }
}
