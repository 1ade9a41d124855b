package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.model.ModelConfig;

/**
 * The decoder forward pass: a batch of tokens through every {@link DecoderBlock}, all rows of the batch in
 * every block, appending their keys and values to the cache; the final hidden states stay in place so that
 * logits can be taken for any rows of the batch. The batch's rows may belong to several sequences of the
 * cache, in runs (a prefill chunk of one, the next decode token of many, or both): the projections and the
 * FFN run as one product over all rows, attention reads each run's own sequence.
 * All buffers are allocated up front for {@code maxBatch} tokens and {@code maxLogitRows} rows of logits,
 * the batch's positions on the backend included (written once per call, read by every block).
 *
 * <pre>
 *   x = embed(tokens)
 *   for each block l:  x[0..n) = block_l(x[0..n))     (DecoderBlock on the leading rows: nothing gathered)
 *   logits[i] = rmsnorm(x[rows[i]])·Wout              (the rows that choose a token, in one product)
 * </pre>
 */
public final class ForwardPass {
    private final DeviceModel model;
    private final Backend backend;
    private final ModelConfig config;
    private final int maxBatch;
    private final int maxLogitRows;
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
    private final int[] logitSource; // batch row of each logits row
    private final int[] oneRow = new int[1];
    private int batchRows;
    private int logitRows;

    /** A pass for batches of up to {@code maxBatch} tokens, taking logits of one row at a time. */
    public ForwardPass(DeviceModel model, int maxBatch) {
        this(model, maxBatch, 1);
    }

    /** A pass for batches of up to {@code maxBatch} tokens, taking logits of up to {@code maxLogitRows} rows at once. */
    public ForwardPass(DeviceModel model, int maxBatch, int maxLogitRows) {
        if (maxBatch <= 0 || maxLogitRows <= 0 || maxLogitRows > maxBatch) {
            throw new IllegalArgumentException("batch size " + maxBatch + " and logit rows " + maxLogitRows
                    + " must be positive, the latter at most the former");
        }
        this.maxLogitRows = maxLogitRows;
        this.logitSource = new int[maxLogitRows];
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
        lastHidden = backend.allocateActivations("last-hidden", maxLogitRows, config.hiddenSize());
        logits = backend.allocateActivations("logits", maxLogitRows, config.vocabSize());
    }

    /** Bytes the buffers of a pass for {@code maxBatch} tokens take on {@code backend}, for the memory plan. */
    public static long bytes(ModelConfig c, Backend backend, int maxBatch) {
        return bytes(c, backend, maxBatch, 1);
    }

    /** Bytes the buffers of a pass for {@code maxBatch} tokens and {@code maxLogitRows} logit rows take on {@code backend}. */
    public static long bytes(ModelConfig c, Backend backend, int maxBatch, int maxLogitRows) {
        return backend.activationBytes(maxBatch, c.hiddenSize()) * 2         // x, h
                + backend.activationBytes(maxBatch, c.queryDim()) * 2        // q, attention
                + backend.activationBytes(maxBatch, c.kvDim()) * 2           // k, v
                + backend.activationBytes(maxBatch, c.intermediateSize()) * 2 // gate, up
                + backend.activationBytes(maxLogitRows, c.hiddenSize())
                + backend.activationBytes(maxLogitRows, c.vocabSize())
                + RowSet.bytes(backend, maxBatch);                             // the batch's positions and sequences
    }

    public int maxBatch() { return maxBatch; }

    public int maxLogitRows() { return maxLogitRows; }

    public DeviceModel model() { return model; }

    /**
     * Lets {@code observer} see every block's FFN input and activation in later {@link #forward}
     * calls (calibration); {@code null} stops it. Without one the pass does no extra work.
     */
    public void observe(LayerObserver observer) {
        block.observe(observer);
    }

    /**
     * Runs {@code count} tokens at {@code positions}, all of cache sequence {@code sequence}, through all blocks,
     * appending them to every layer of it (blocks are reserved here when the owner did not).
     *
     * @throws IllegalStateException when the cache has no blocks left for them
     */
    public void forward(int[] tokens, int[] positions, int count, int sequence, KvCache cache) {
        batch.setSequence(sequence);
        run(tokens, positions, count, cache);
    }

    /**
     * Runs {@code count} tokens at {@code positions} through all blocks: run i is {@code runLengths[i]}
     * consecutive tokens of cache sequence {@code runSequences[i]}, appended to every layer of it. The
     * positions and sequences go to the backend once, and every layer's ops read them there.
     *
     * @throws IllegalStateException when the cache has no blocks left for them (a scheduler reserves first)
     */
    public void forward(int[] tokens, int[] positions, int count, int[] runSequences, int[] runLengths, int runs,
                        KvCache cache) {
        batch.setRuns(runSequences, runLengths, runs);
        run(tokens, positions, count, cache);
    }

    private void run(int[] tokens, int[] positions, int count, KvCache cache) {
        if (count <= 0 || count > maxBatch) {
            throw new IllegalArgumentException("batch of " + count + " tokens, limit " + maxBatch);
        }
        batch.setPositions(positions);
        batch.setCount(count);
        for (int i = 0; i < batch.runCount(); i++) {
            for (int j = 0; j < i; j++) {
                if (batch.runSequence(j) == batch.runSequence(i)) { // KvPages: one run per sequence and step
                    throw new IllegalArgumentException("sequence " + batch.runSequence(i) + " has two runs in one step");
                }
            }
            if (!cache.reserveAll(batch.runSequence(i), batch.runLength(i))) {
                throw new IllegalStateException("KV cache full: no blocks for " + batch.runLength(i)
                        + " more tokens of sequence " + batch.runSequence(i) + " (" + cache.freeBlocks() + " free)");
            }
        }
        cache.publish();
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
        logitRows = 0;
    }

    /**
     * Computes the logits of batch rows {@code rows[0..n)} in one product; {@link #readLogits},
     * {@link #argmax} and {@link #top} then read logits row i for batch row {@code rows[i]}.
     */
    public void computeLogits(int[] rows, int n) {
        if (n <= 0 || n > maxLogitRows) {
            throw new IllegalArgumentException(n + " logit rows, limit " + maxLogitRows);
        }
        for (int i = 0; i < n; i++) {
            if (rows[i] < 0 || rows[i] >= batchRows) {
                throw new IllegalArgumentException("row " + rows[i] + " outside the last batch of " + batchRows);
            }
            logitSource[i] = rows[i];
        }
        backend.gatherRows(x, logitSource, n, lastHidden);
        backend.rmsNorm(lastHidden, n, model.outputNorm(), config.normEps(), lastHidden);
        backend.matmul(lastHidden, n, model.output(), logits);
        logitRows = n;
    }

    /** Logits row {@code i} of the last {@link #computeLogits}, into {@code dst} (length ≥ vocab size). */
    public void readLogits(int i, float[] dst) {
        backend.readRows(logits, logitRow(i), 1, dst);
    }

    /** Greedy choice from logits row {@code i}: the argmax is taken where the logits are (-1: not finite). */
    public int argmax(int i) {
        return backend.argmax(logits, logitRow(i));
    }

    /** The {@code k} best candidates of logits row {@code i}, sorted descending, taken where the logits are. */
    public void top(int i, int k, int[] ids, float[] values) {
        backend.topK(logits, logitRow(i), k, ids, values);
    }

    private int logitRow(int i) {
        if (i < 0 || i >= logitRows) {
            throw new IllegalArgumentException("logits row " + i + " of " + logitRows + " computed");
        }
        return i;
    }

    /** Logits of row {@code row} of the last batch, into {@code dst} (length ≥ vocab size). */
    public void logits(int row, float[] dst) {
        computeLogits(row);
        readLogits(0, dst);
    }

    /** Greedy choice for row {@code row}: the argmax is taken where the logits are. */
    public int argmaxLogits(int row) {
        computeLogits(row);
        return argmax(0);
    }

    /** The {@code k} best candidates of row {@code row}, sorted descending, taken where the logits are. */
    public void topLogits(int row, int k, int[] ids, float[] values) {
        computeLogits(row);
        top(0, k, ids, values);
    }

    private void computeLogits(int row) {
        oneRow[0] = row;
        computeLogits(oneRow, 1);
    }

    /**
     * Makes row {@code row} of {@code hidden} (final hidden states computed elsewhere, e.g. by an SPTS
     * prefill) the last batch, so that {@link #logits}, {@link #argmaxLogits} and decoding continue from it.
     */
    public void adoptHiddenState(Activations hidden, int row) {
        backend.copyRows(hidden, row, x, 0, 1);
        batchRows = 1;
        logitRows = 0;
    }

    /** Rows of the last batch. */
    public int batchRows() { return batchRows; }
}
