package dev.qvgen.layers.dist;

import ai.djl.ndarray.NDArray;

/**
 * The collectives data-parallel training needs, on DJL arrays, in place. Every rank of the group
 * must make the same calls in the same order (as with torch.distributed).
 */
public interface ProcessGroup extends AutoCloseable {
    int rank();

    int worldSize();

    /** Every rank's {@code a} becomes the element-wise sum over ranks. */
    void allReduceSum(NDArray a);

    /** The element-wise sum over ranks of {@code values}, on every rank, in place. */
    void allReduceSum(double[] values);

    /** {@code root}'s {@code a} becomes the sum over ranks; the other ranks' {@code a} is unspecified afterwards. */
    void reduceSum(NDArray a, int root);

    /** Every rank's {@code a} becomes {@code root}'s. */
    void broadcast(NDArray a, int root);

    /** Returns once every rank has called it. */
    void barrier();

    @Override
    void close();
}
