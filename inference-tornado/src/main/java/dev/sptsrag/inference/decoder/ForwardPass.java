package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.model.ModelConfig;

/**
 * The decoder forward pass: a batch of tokens (a prefill chunk, or one decode token) through every
 * {@link DecoderBlock}, all rows of the batch in every block, appending their keys and values to the
 * cache; the final hidden states stay in place so that logits can be taken for any row of the batch.
 * All buffers are allocated up front for {@code maxBatch} tokens, the batch's positions on the backend
 * included (written once per call, read by every block).
 *
 * <pre>
 *   x = embed(tokens)
 *   for each block l:  x[0..n) = block_l(x[0..n))     (DecoderBlock on the leading rows: nothing gathered)
 *   logits = rmsnorm(x[row])·Wout
 * </pre>
 */
public final class ForwardPass {
    private final DeviceModel model;
    private final Backend backend;
    private final ModelConfig config;
    private final int maxBatch;
    private final DecoderBlock block;
    private final RowSet batch;

    private final Activations x;
    private final Activations h;
    private final Activations q;
    private final Activations k;
    private final Activations v;
    private final Activations attention;
    private final Activations gate;
    private final Activations up;
    private final Activations lastHidden;
    private final Activations logits;
    private int batchRows;

    public ForwardPass(DeviceModel model, int maxBatch) {
        if (maxBatch <= 0) {
            throw new IllegalArgumentException("batch size must be positive: " + maxBatch);
        }
        this.model = model;
        this.backend = model.backend();
        this.config = model.config();
        this.maxBatch = maxBatch;
        this.block = new DecoderBlock(model);
        batch = RowSet.leading(backend, "batch positions", maxBatch);
        x = backend.allocateActivations("x", maxBatch, config.hiddenSize());
        h = backend.allocateActivations("h", maxBatch, config.hiddenSize());
        q = backend.allocateActivations("q", maxBatch, config.queryDim());
        k = backend.allocateActivations("k", maxBatch, config.kvDim());
        v = backend.allocateActivations("v", maxBatch, config.kvDim());
        attention = backend.allocateActivations("attention", maxBatch, config.queryDim());
        gate = backend.allocateActivations("gate", maxBatch, config.intermediateSize());
        up = backend.allocateActivations("up", maxBatch, config.intermediateSize());
        lastHidden = backend.allocateActivations("last-hidden", 1, config.hiddenSize());
        logits = backend.allocateActivations("logits", 1, config.vocabSize());
    }

    /** Bytes the buffers of a pass for {@code maxBatch} tokens take on {@code backend}, for the memory plan. */
    public static long bytes(ModelConfig c, Backend backend, int maxBatch) {
        return backend.activationBytes(maxBatch, c.hiddenSize()) * 2         // x, h
                + backend.activationBytes(maxBatch, c.queryDim()) * 2        // q, attention
                + backend.activationBytes(maxBatch, c.kvDim()) * 2           // k, v
                + backend.activationBytes(maxBatch, c.intermediateSize()) * 2 // gate, up
                + backend.activationBytes(1, c.hiddenSize()) + backend.activationBytes(1, c.vocabSize())
                + backend.positionsBytes(maxBatch);                            // the batch's positions
    }

    public int maxBatch() { return maxBatch; }

    public DeviceModel model() { return model; }

    /**
     * Lets {@code observer} see every block's FFN input and activation in later {@link #forward}
     * calls (calibration); {@code null} stops it. Without one the pass does no extra work.
     */
    public void observe(LayerObserver observer) {
        block.observe(observer);
    }

    /**
     * Runs {@code count} tokens at {@code positions} through all blocks, appending them to every
     * layer of {@code cache}. The positions go to the backend once, and every layer's ops read them there.
     */
    public void forward(int[] tokens, int[] positions, int count, KvCache cache) {
        if (count <= 0 || count > maxBatch) {
            throw new IllegalArgumentException("batch of " + count + " tokens, limit " + maxBatch);
        }
        batch.setPositions(positions);
        batch.setCount(count);
        batch.publishPositions();
        backend.embed(model.embedding(), tokens, count, x);
        for (int l = 0; l < config.layerCount(); l++) {
            block.normaliseForAttention(l, x, batch, h);
            block.projectQueryKeyValue(l, h, batch, q, k, v);
            block.attend(l, batch, q, k, v, cache, attention);
            block.addAttentionOutput(l, attention, batch, h, x);
            block.normaliseForFfn(l, x, batch, h);
            block.addFfn(l, h, batch, gate, up, h, x);
        }
        batchRows = count;
    }

    /** Logits of row {@code row} of the last batch, into {@code dst} (length ≥ vocab size). */
    public void logits(int row, float[] dst) {
        computeLogits(row);
        backend.readRows(logits, 0, 1, dst);
    }

    /** Greedy choice for row {@code row}: the argmax is taken where the logits are. */
    public int argmaxLogits(int row) {
        computeLogits(row);
        return backend.argmax(logits, 0);
    }

    /** The {@code k} best candidates of row {@code row}, sorted descending, taken where the logits are. */
    public void topLogits(int row, int k, int[] ids, float[] values) {
        computeLogits(row);
        backend.topK(logits, 0, k, ids, values);
    }

    private void computeLogits(int row) {
        if (row < 0 || row >= batchRows) {
            throw new IllegalArgumentException("row " + row + " outside the last batch of " + batchRows);
        }
        backend.copyRows(x, row, lastHidden, 0, 1);
        backend.rmsNorm(lastHidden, 1, model.outputNorm(), config.normEps(), lastHidden);
        backend.matmul(lastHidden, 1, model.output(), logits);
    }

    /**
     * Makes row {@code row} of {@code hidden} (final hidden states computed elsewhere, e.g. by an SPTS
     * prefill) the last batch, so that {@link #logits}, {@link #argmaxLogits} and decoding continue from it.
     */
    public void adoptHiddenState(Activations hidden, int row) {
        backend.copyRows(hidden, row, x, 0, 1);
        batchRows = 1;
    }

    /** Rows of the last batch. */
    public int batchRows() { return batchRows; }
}
