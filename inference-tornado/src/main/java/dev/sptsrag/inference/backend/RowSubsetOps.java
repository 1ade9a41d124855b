package dev.sptsrag.inference.backend;

/**
 * Ops over chosen token rows, for SPTS: moving rows between compact and full buffers, the partial
 * attention probe, row norms, and the LTP proxy's scoring and choice kept on the device (only the chosen
 * rows come back to the host). The fused and LTP ops are optional ({@link OptionalOp}): a backend without
 * them inherits these defaults, which refuse, and says so in {@link Backend#supports}.
 */
public interface RowSubsetOps {
    /** {@code dst[i] = src[rows[i]]} for i below {@code count}. */
    void gatherRows(Activations src, int[] rows, int count, Activations dst);

    /** {@code dst[rows[i]] += src[i]} for i below {@code count}; the rows are distinct. */
    void scatterAddRows(Activations src, int[] rows, int count, Activations dst);

    /**
     * The partial attention probe: for the query in row {@code queryRow} of {@code q} (at position
     * {@code queryPosition}) against the first {@code count} rows of {@code k} (at {@code keyPositions}),
     * {@code scores[n] = mean over query heads of softmax_n(q_h · k_n · scale)}, where each query head
     * uses its KV head and keys outside a sliding window score 0. Waits for the result.
     */
    void probeScores(Activations q, int queryRow, int queryPosition, Activations k, int count,
                     DevicePositions keyPositions, AttentionShape shape, float[] scores);

    /** {@code norms[r] = ||x[r]||₂} for r below {@code rows}, to the host (waits for the result). */
    void rowNorms(Activations x, int rows, float[] norms);

    /**
     * {@code dst[i] = rmsnorm(src[rows[i]]) · weight} for i below {@code count}: {@link #gatherRows} then
     * {@link DecoderOps#rmsNorm}, with the same result, in one pass over the source rows.
     */
    default void gatherRmsNorm(Activations src, int[] rows, int count, DeviceVector weight, float eps, Activations dst) {
        throw lacks(this, OptionalOp.GATHER_RMS_NORM);
    }

    /**
     * {@code out[r][c] = silu(x[r][c]) · x[r][h + c]} for {@code c < h = x.cols / 2 = out.cols}: the
     * SwiGLU of a product that holds gate and up side by side in each row. {@code out} is not {@code x}.
     */
    default void swigluHalves(Activations x, int rows, Activations out) {
        throw lacks(this, OptionalOp.LTP_ON_DEVICE);
    }

    /**
     * {@code out[r][0] = ||x[r]||₂ · factors[r]} for r below {@code rows} ({@code factors} null: 1), kept
     * on the backend; {@code out} has one column. Same float arithmetic as {@link #rowNorms} followed
     * by a float product.
     */
    default void rowNorms(Activations x, int rows, float[] factors, Activations out) {
        throw lacks(this, OptionalOp.LTP_ON_DEVICE);
    }

    /**
     * Chooses rows by the scores in column 0 of rows {@code [0, n)} of {@code scores} with the rule of
     * {@link TopSelector#select} (the last row, {@code sinks} first and {@code recent} last rows, then
     * the highest scores, earlier row on ties, NaN lowest) and returns them to the host, ascending.
     *
     * @return the number chosen, {@code min(n, budget)}
     */
    default int selectRows(Activations scores, int n, int budget, int sinks, int recent, int[] out) {
        throw lacks(this, OptionalOp.LTP_ON_DEVICE);
    }

    /** The refusal of an optional op this backend lacks, naming both. */
    private static UnsupportedOperationException lacks(RowSubsetOps ops, OptionalOp op) {
        String name = ops instanceof Backend b ? b.name() : ops.getClass().getSimpleName();
        return new UnsupportedOperationException("the " + name + " backend lacks " + op + " (callers check supports)");
    }
}
