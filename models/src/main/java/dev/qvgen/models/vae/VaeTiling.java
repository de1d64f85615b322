package dev.qvgen.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The tile loop shared by diffusers' {@code tiled_encode}/{@code tiled_decode}: cut the input
 * (B, C, T, H, W) into tiles of {@code tileH × tileW} every {@code strideH × strideW}, run each
 * tile on its own, blend every tile's first rows/columns with its upper and left neighbours
 * (already blended, as diffusers writes into the tiles in place) and keep the first
 * {@code limitH × limitW} of each. Each tile runs in its own {@link NDScope}.
 */
public final class VaeTiling {
    private VaeTiling() {}

    public static NDArray run(NDArray in, int strideH, int strideW, int tileH, int tileW,
            int blendH, int blendW, int limitH, int limitW, UnaryOperator<NDArray> perTile) {
        long height = in.getShape().get(3);
        long width = in.getShape().get(4);
        if (strideH <= 0 || strideW <= 0) {
            throw new IllegalArgumentException("tile stride must be positive, got " + strideH + " × " + strideW);
        }
        List<List<NDArray>> rows = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            for (long i = 0; i < height; i += strideH) {
                List<NDArray> row = new ArrayList<>();
                for (long j = 0; j < width; j += strideW) {
                    NDArray out;
                    try (NDScope tileScope = new NDScope()) {
                        NDArray tile = VaeOps.slice(VaeOps.slice(in, 3, i, i + tileH), 4, j, j + tileW);
                        out = perTile.apply(tile);
                        NDScope.unregister(out);
                    }
                    // Kept by the outer scope until the result is assembled.
                    NDScope.register(out);
                    row.add(out);
                }
                rows.add(row);
            }
            NDList resultRows = new NDList();
            for (int i = 0; i < rows.size(); i++) {
                NDList resultRow = new NDList();
                List<NDArray> row = rows.get(i);
                for (int j = 0; j < row.size(); j++) {
                    NDArray tile = row.get(j);
                    if (i > 0) {
                        tile = VaeOps.blend(rows.get(i - 1).get(j), tile, 3, blendH);
                    }
                    if (j > 0) {
                        tile = VaeOps.blend(row.get(j - 1), tile, 4, blendW);
                    }
                    row.set(j, tile);
                    resultRow.add(VaeOps.slice(VaeOps.slice(tile, 3, 0, limitH), 4, 0, limitW));
                }
                resultRows.add(NDArrays.concat(resultRow, 4));
            }
            NDArray out = NDArrays.concat(resultRows, 3);
            NDScope.unregister(out);
            return out;
        }
    }
}
