package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/** diffusers' get_timestep_embedding, in float32 as the reference computes it. */
public final class TimestepEmbedding {
    private TimestepEmbedding() {}

    /**
     * @param t timesteps (B)
     * @return (B, dim): [sin, cos] or, with flipSinToCos, [cos, sin]
     */
    public static NDArray sinusoidal(NDArray t, int dim, boolean flipSinToCos, float downscaleFreqShift) {
        int half = dim / 2;
        NDArray exponent = t.getManager().arange(0f, half, 1f, DataType.FLOAT32, t.getDevice())
                .mul((float) -Math.log(10000.0))
                .div(half - downscaleFreqShift);
        NDArray args = t.toType(DataType.FLOAT32, false).expandDims(1).mul(exponent.exp().expandDims(0));
        NDArray sin = args.sin();
        NDArray cos = args.cos();
        return flipSinToCos ? NDArrays.concat(new NDList(cos, sin), 1) : NDArrays.concat(new NDList(sin, cos), 1);
    }
}
