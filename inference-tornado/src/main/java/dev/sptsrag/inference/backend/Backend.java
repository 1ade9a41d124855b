package dev.sptsrag.inference.backend;

import dev.sptsrag.inference.model.WeightTensor;

/**
 * The device SPI: memory, transfers and the kernels a decoder forward pass needs. A backend holds
 * no model logic; the forward pass in {@code engine} is written once against this interface and a
 * backend only decides <em>how</em> each op runs (CPU threads, PTX kernels, OpenCL kernels).
 *
 * <p>Conventions: activations are row-major float32 matrices, one row per token; weight matrices
 * are {@code [out, in]} (PyTorch order) and {@link #matmul} computes {@code out[r] = W · x[r]}.
 * Ops take an explicit row count so that buffers sized for the largest batch serve every batch.
 * Ops on one backend are issued from one thread; a backend may run them asynchronously, and
 * {@link #readRows} waits for the work before it returns.
 */
public interface Backend extends AutoCloseable {

    /** Short name, e.g. {@code cpu} or {@code cuda}. */
    String name();

    /** What it runs on, for logs and {@code info} (device name, threads, memory). */
    String description();

    // ---- memory -------------------------------------------------------------------------------

    /** Places a 2-D weight {@code [out, in]} on the device, converting its element type as the backend chooses. */
    DeviceMatrix uploadMatrix(WeightTensor weight);

    /** Places a 1-D weight (a norm scale, a bias) on the device as float32. */
    DeviceVector uploadVector(WeightTensor weight);

    /** Places host floats on the device as a vector. */
    DeviceVector uploadVector(String name, float[] values);

    /** Allocates an activation matrix of {@code rows × cols} float32 values. */
    Activations allocateActivations(String name, int rows, int cols);

    /** Allocates one layer's key/value cache of {@code capacity} token slots of width {@code kvDim}. */
    KvCacheLayer allocateKvCacheLayer(int capacity, int kvDim);

    /** Uploads the rotary frequencies once; {@link #rope} uses them. */
    RotaryTable createRotaryTable(RotaryEmbedding rotary);

    // ---- kernels ------------------------------------------------------------------------------

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
    void rope(Activations x, int rows, int headCount, RotaryTable table, int[] positions);

    /**
     * Writes {@code k[r]}, {@code v[r]} into cache slots {@code firstSlot + r} and records their
     * token positions.
     */
    void storeKv(Activations k, Activations v, int rows, KvCacheLayer cache, int firstSlot, int[] positions);

    /**
     * Causal attention of each query row over the first {@code slotCount} cache slots: query
     * {@code r} at {@code positions[r]} sees the slots whose token position is not after it (and,
     * with a sliding window, not more than {@code window - 1} before it). Grouped-query heads
     * share their KV head.
     */
    void attention(Activations q, int rows, int[] positions, KvCacheLayer cache, int slotCount,
                   AttentionShape shape, Activations out);

    /** {@code out[r] = silu(gate[r]) * up[r]}; {@code out} may be {@code gate}. */
    void swiglu(Activations gate, Activations up, int rows, Activations out);

    /** {@code acc[r] += x[r]}. */
    void add(Activations acc, Activations x, int rows);

    /** Copies rows {@code [srcRow, srcRow + rows)} of {@code src} to rows starting at {@code dstRow} of {@code dst}. */
    void copyRows(Activations src, int srcRow, Activations dst, int dstRow, int rows);

    // ---- token subsets (SPTS) -----------------------------------------------------------------

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
    void probeScores(Activations q, int queryRow, int queryPosition, Activations k, int count, int[] keyPositions,
                     AttentionShape shape, float[] scores);

    /** {@code norms[r] = ||x[r]||₂} for r below {@code rows}, to the host (waits for the result). */
    void rowNorms(Activations x, int rows, float[] norms);

    // ---- LTP on the device: score and choose FFN rows without sending the scores to the host --------

    /**
     * {@code dst[i] = rmsnorm(src[rows[i]]) · weight} for i below {@code count}: {@link #gatherRows} then
     * {@link #rmsNorm}, with the same result, in one pass over the source rows.
     */
    void gatherRmsNorm(Activations src, int[] rows, int count, DeviceVector weight, float eps, Activations dst);

    /**
     * {@code out[r][c] = silu(x[r][c]) · x[r][h + c]} for {@code c < h = x.cols / 2 = out.cols}: the
     * SwiGLU of a product that holds gate and up side by side in each row. {@code out} is not {@code x}.
     */
    void swigluHalves(Activations x, int rows, Activations out);

    /**
     * {@code out[r][0] = ||x[r]||₂ · factors[r]} for r below {@code rows} ({@code factors} null: 1), kept
     * on the backend; {@code out} has one column. Same float arithmetic as {@link #rowNorms} followed
     * by a float product.
     */
    void rowNorms(Activations x, int rows, float[] factors, Activations out);

    /**
     * Chooses rows by the scores in column 0 of rows {@code [0, n)} of {@code scores} with the rule of
     * {@link TopSelector#select} (the last row, {@code sinks} first and {@code recent} last rows, then
     * the highest scores, earlier row on ties, NaN lowest) and returns them to the host, ascending.
     *
     * @return the number chosen, {@code min(n, budget)}
     */
    int selectRows(Activations scores, int n, int budget, int sinks, int recent, int[] out);

    /** Copies {@code rows} host rows ({@code src}, row-major) into {@code x} starting at row {@code firstRow}. */
    void writeRows(float[] src, int rows, Activations x, int firstRow);

    /** Copies {@code rows} rows starting at {@code firstRow} to the host, row-major, waiting for pending work. */
    void readRows(Activations x, int firstRow, int rows, float[] dst);

    /**
     * Index of the largest value in row {@code row} of {@code x} (the first on ties); -1 when any value
     * of the row is NaN or infinite. The scan that finds the maximum notices them for free, and only
     * broken weights produce them: no choice among such logits means anything.
     */
    int argmax(Activations x, int row);

    /**
     * The {@code k} largest values of row {@code row}, sorted descending (ties: smaller index first),
     * into {@code ids[0..k)} and {@code values[0..k)}. Lets decode copy candidates, not a whole
     * vocabulary, back from a device. When any value of the row is NaN or infinite, {@code ids[0]} is
     * -1 (as {@link #argmax}) and the other entries are unspecified.
     */
    void topK(Activations x, int row, int k, int[] ids, float[] values);

    /** Returns when every op issued so far has finished (a device may run them asynchronously). */
    void synchronize();

    // ---- memory planning ---------------------------------------------------------------------

    /** Bytes this backend holds now for weights, caches, activations and workspace (device memory on a GPU). */
    long allocatedBytes();

    /** Bytes {@link #uploadMatrix} will hold for a {@code rows × cols} weight. */
    long matrixBytes(int rows, int cols);

    /** Bytes {@link #allocateActivations} will hold. */
    long activationBytes(int rows, int cols);

    /** Bytes {@link #allocateKvCacheLayer} will hold. */
    long kvCacheLayerBytes(int capacity, int kvDim);

    /**
     * Scratch the backend allocates for itself to run batches of up to {@code maxRows} tokens whose
     * widest activation has {@code maxCols} columns, with attention over up to {@code maxSlots} slots
     * of {@code headCount} heads of width {@code headDim}.
     */
    long workspaceBytes(int maxRows, int maxCols, int maxSlots, int headCount, int headDim);

    /** Memory free for this backend's allocations, or {@link Long#MAX_VALUE} where it is not bounded. */
    long availableBytes();

    /** The prefill batch (tokens per forward call) this backend runs best with. */
    int preferredBatch();

    /** Releases every buffer this backend allocated. */
    @Override
    void close();
}
