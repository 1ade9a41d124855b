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
     * Writes {@code k[r]}, {@code v[r]} into cache slots {@code firstSlot + r} and records their
     * token positions.
     */
    void storeKv(Activations k, Activations v, int rows, KvCacheLayer cache, int firstSlot, DevicePositions positions);

    /**
     * Causal attention of each query row over the first {@code slotCount} cache slots: query
     * {@code r} at {@code positions[r]} sees the slots whose token position is not after it (and,
     * with a sliding window, not more than {@code window - 1} before it). Grouped-query heads
     * share their KV head.
     */
    void attention(Activations q, int rows, DevicePositions positions, KvCacheLayer cache, int slotCount,
                   AttentionShape shape, Activations out);

    /** {@code out[r] = silu(gate[r]) * up[r]}; {@code out} may be {@code gate}. */
    void swiglu(Activations gate, Activations up, int rows, Activations out);

    /** {@code acc[r] += x[r]}. */
    void add(Activations acc, Activations x, int rows);
}
