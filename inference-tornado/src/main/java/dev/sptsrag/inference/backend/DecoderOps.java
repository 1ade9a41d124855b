package dev.sptsrag.inference.backend;

/**
 * The ops a decoder block is made of, over the first {@code rows} rows of buffers sized for the largest
 * batch. A decoder runs on a backend that has these and {@link DeviceMemory}; everything else speeds up
 * particular callers (row subsets, sampling). Token positions come as a {@link DevicePositions} the
 * caller wrote for the step (row {@code r} at {@code positions[r]}), read by every op of the step.
 */
public interface DecoderOps {
    /** {@code out[r] = table[tokens[r]]} for r below {@code rows}. */
    void embed(DeviceMatrix table, int[] tokens, int rows, Activations out);

    /** {@code out[r] = x[r] / rms(x[r]) * weight}; {@code out} may be {@code x}. */
    void rmsNorm(Activations x, int rows, DeviceVector weight, float eps, Activations out);

    /**
     * In place, each of the {@code headCount} heads of {@code x[r]} (width {@code x.cols / headCount}):
     * {@code head = head / rms(head) * weight}, with one {@code weight} of head width shared by every head
     * (Qwen3's query and key norms, applied between the projection and {@link #rope}). The same float
     * arithmetic as {@link #rmsNorm} of a row one head wide.
     */
    void headRmsNorm(Activations x, int rows, int headCount, DeviceVector weight, float eps);

    /** {@code out[r] = W · x[r]} for r below {@code rows}; {@code out} has {@code W.rows()} columns. */
    void matmul(Activations x, int rows, DeviceMatrix w, Activations out);

    /** {@code x[r] += bias}. */
    void addBias(Activations x, int rows, DeviceVector bias);

    /** Rotates each head of {@code x[r]} by the angle of {@code positions[r]}. */
    void rope(Activations x, int rows, int headCount, RotaryTable table, DevicePositions positions);

    /**
     * Writes {@code k[r]}, {@code v[r]} for r below {@code rows} into layer {@code layer} of the paged
     * {@code cache}, tagged with {@code positions[r]}: row r goes to its sequence's logical slot
     * {@code filled + rank} ({@link KvPages} says where that is and what {@code kvRows} holds). The blocks
     * must be in the sequence's table.
     */
    void storeKv(Activations k, Activations v, int rows, DevicePositions positions, DeviceInts kvRows, KvPages cache,
                 int layer);

    /**
     * Causal attention of each query row over its own sequence in layer {@code layer} of {@code cache}: row
     * {@code r} at {@code positions[r]} sees the first {@code filled + count} logical slots of its sequence
     * ({@code kvRows}, see {@link KvPages}) whose token position is not after it (and, with a sliding window,
     * not more than {@code window - 1} before it). Grouped-query heads share their KV head. Rows of different
     * sequences may share a call (a decode step of many sequences); each row's result does not depend on
     * which rows share it.
     */
    void attention(Activations q, int rows, DevicePositions positions, DeviceInts kvRows, KvPages cache, int layer,
                   AttentionShape shape, Activations out);

    /** {@code out[r] = silu(gate[r]) * up[r]}; {@code out} may be {@code gate}. */
    void swiglu(Activations gate, Activations up, int rows, Activations out);

    /** {@code acc[r] += x[r]}. */
    void add(Activations acc, Activations x, int rows);
}
