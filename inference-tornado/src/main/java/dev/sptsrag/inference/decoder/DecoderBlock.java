package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.DeviceVector;
import dev.sptsrag.inference.backend.OptionalOp;
import dev.sptsrag.inference.model.ModelConfig;

/**
 * What a transformer block of a {@link DeviceModel} computes, written once, as operations on a {@link RowSet}
 * of the residual stream {@code x}. {@link ForwardPass} runs every op on the leading rows of its batch; the
 * SPTS prefill (package {@code spts}) decides per layer which rows run which op and calls the same ops.
 * Callers own the buffers (compact: entry i of the set in row i) and so plan their own memory; nothing is
 * allocated here.
 *
 * <pre>
 *   h = rmsnorm(x[R])                                       normaliseForAttention
 *   q, k, v = h·Wq (+bq), h·Wk (+bk), h·Wv (+bv)            project… (any subset of q, k, v)
 *   q, k = headnorm(q), headnorm(k)  (QK-norm families);  rope(q, k)
 *   cache_l += (k, v);  a = attention(q, cache_l)           attend
 *   x[R] += a·Wo                                            addAttentionOutput
 *   h = rmsnorm(x[R]);  x[R] += (silu(h·Wgate) * (h·Wup))·Wdown   normaliseForFfn, addFfn
 * </pre>
 *
 * Leading rows are normalised and updated in place ({@code rmsNorm}, {@code add}); listed rows are gathered
 * and normalised in one pass ({@code gatherRmsNorm}) and added back by index ({@code scatterAddRows}).
 * RoPE, the KV store and attention read the positions the set's owner published for the step
 * ({@link RowSet#publishPositions}); nothing here copies positions.
 */
public final class DecoderBlock {
    private final DeviceModel model;
    private final Backend backend;
    private final ModelConfig config;
    private final boolean fusedGatherNorm;
    private LayerObserver observer;

    public DecoderBlock(DeviceModel model) {
        this.model = model;
        this.backend = model.backend();
        this.config = model.config();
        this.fusedGatherNorm = backend.supports(OptionalOp.GATHER_RMS_NORM);
    }

    /**
     * Lets {@code observer} see the FFN input and activation of every later {@link #addFfn}; {@code null}
     * stops it. Without one the block does no extra work.
     */
    public void observe(LayerObserver observer) {
        this.observer = observer;
    }

    /** {@code out = rmsnorm(x[rows])} with layer {@code layer}'s attention norm (the input of Q, K and V). */
    public void normaliseForAttention(int layer, Activations x, RowSet rows, Activations out) {
        normalise(x, rows, model.layer(layer).attentionNorm(), out);
    }

    /** {@code out = rmsnorm(x[rows])} with layer {@code layer}'s FFN (post-attention) norm. */
    public void normaliseForFfn(int layer, Activations x, RowSet rows, Activations out) {
        normalise(x, rows, model.layer(layer).ffnNorm(), out);
    }

    private void normalise(Activations x, RowSet rows, DeviceVector weight, Activations out) {
        if (rows.isLeading()) {
            backend.rmsNorm(x, rows.count(), weight, config.normEps(), out);
        } else if (fusedGatherNorm) {
            backend.gatherRmsNorm(x, rows.rows(), rows.count(), weight, config.normEps(), out);
        } else { // the fallback OptionalOp documents: the same numbers, one more pass
            backend.gatherRows(x, rows.rows(), rows.count(), out);
            backend.rmsNorm(out, rows.count(), weight, config.normEps(), out);
        }
    }

    /** Q, K and V of the set's normalised rows (in {@code normalised}), Q and K rotated to their positions. */
    public void projectQueryKeyValue(int layer, Activations normalised, RowSet rows, Activations q, Activations k,
                                     Activations v) {
        project(layer, normalised, rows, q, k, v);
    }

    /** K of the set's normalised rows, rotated to their positions. */
    public void projectKeys(int layer, Activations normalised, RowSet rows, Activations k) {
        project(layer, normalised, rows, null, k, null);
    }

    /** Q and V of the set's normalised rows, Q rotated to their positions. */
    public void projectQueryValue(int layer, Activations normalised, RowSet rows, Activations q, Activations v) {
        project(layer, normalised, rows, q, null, v);
    }

    /** Q of the set's normalised rows, rotated to their positions. */
    public void projectQuery(int layer, Activations normalised, RowSet rows, Activations q) {
        project(layer, normalised, rows, q, null, null);
    }

    /**
     * The one place where queries, keys and values are made: product, bias, the per-head norm of q and k
     * where the family has one (Qwen3's QK-norm), then RoPE on q and k; a null destination is not computed.
     * Every path goes through here (the dense pass, SPTS's active rows and its probe's single query), so a
     * model family that changes this step changes it here only.
     *
     * <p>All products come first, then the biases, then the rotations: the order both passes always had (Q, K
     * and V read one input, which a GPU backend converts once for the three), and the float results of
     * every path stay bit for bit what they were.
     */
    private void project(int layer, Activations normalised, RowSet rows, Activations q, Activations k, Activations v) {
        DeviceModel.Layer w = model.layer(layer);
        int n = rows.count();
        if (q != null) {
            backend.matmul(normalised, n, w.query(), q);
        }
        if (k != null) {
            backend.matmul(normalised, n, w.key(), k);
        }
        if (v != null) {
            backend.matmul(normalised, n, w.value(), v);
        }
        addBias(q, n, w.queryBias());
        addBias(k, n, w.keyBias());
        addBias(v, n, w.valueBias());
        headNorm(q, n, config.headCount(), w.queryNorm());
        headNorm(k, n, config.kvHeadCount(), w.keyNorm());
        if (q != null) {
            backend.rope(q, n, config.headCount(), model.rotary(), rows.devicePositions());
        }
        if (k != null) {
            backend.rope(k, n, config.kvHeadCount(), model.rotary(), rows.devicePositions());
        }
    }

    private void headNorm(Activations dst, int rows, int heads, DeviceVector weight) {
        if (dst != null && weight != null) {
            backend.headRmsNorm(dst, rows, heads, weight, config.normEps());
        }
    }

    private void addBias(Activations dst, int rows, DeviceVector bias) {
        if (dst != null && bias != null) {
            backend.addBias(dst, rows, bias);
        }
    }

    /**
     * Appends the set's keys and values to layer {@code layer} of each entry's sequence in {@code cache}, tagged
     * with their positions, then writes to {@code out} the attention of the set's queries over everything that
     * layer of their sequence holds. The attention is causal by position, so a subset of the tokens attends
     * among itself at its original positions. The owner has reserved the blocks ({@link KvCache#reserve}) and
     * published the cache for the step.
     */
    public void attend(int layer, RowSet rows, Activations q, Activations k, Activations v, KvCache cache,
                       Activations out) {
        int n = rows.count();
        for (int i = 0; i < rows.runCount(); i++) {
            if (!cache.hasRoom(rows.runSequence(i), layer, rows.runLength(i))) {
                throw new IllegalStateException("KV cache sequence " + rows.runSequence(i) + ", layer " + layer
                        + ": no blocks reserved for " + rows.runLength(i) + " more slots");
            }
        }
        backend.storeKv(k, v, n, rows.devicePositions(), rows.kvRows(), cache.pages(), layer);
        backend.attention(q, n, rows.devicePositions(), rows.kvRows(), cache.pages(), layer, model.attentionShape(), out);
        for (int i = 0; i < rows.runCount(); i++) {
            cache.advance(rows.runSequence(i), layer, rows.runLength(i));
        }
    }

    /**
     * {@code x[rows] += attention·Wo}; the product goes through {@code scratch} first (compact, e.g. the
     * normalised rows, which are used up by then).
     */
    public void addAttentionOutput(int layer, Activations attention, RowSet rows, Activations scratch, Activations x) {
        backend.matmul(attention, rows.count(), model.layer(layer).output(), scratch);
        addToResidual(scratch, rows, x);
    }

    /**
     * {@code x[rows] += (silu(normalised·Wgate) * (normalised·Wup))·Wdown}, the FFN of the set's normalised rows;
     * {@code gate} and {@code up} hold the intermediate rows, {@code scratch} the result before it is added
     * (it may be {@code normalised}, read before it is written).
     */
    public void addFfn(int layer, Activations normalised, RowSet rows, Activations gate, Activations up,
                       Activations scratch, Activations x) {
        DeviceModel.Layer w = model.layer(layer);
        int n = rows.count();
        backend.matmul(normalised, n, w.gate(), gate);
        backend.matmul(normalised, n, w.up(), up);
        backend.swiglu(gate, up, n, gate);
        if (observer != null) {
            observer.ffn(layer, normalised, gate, n);
        }
        backend.matmul(gate, n, w.down(), scratch);
        addToResidual(scratch, rows, x);
    }

    private void addToResidual(Activations delta, RowSet rows, Activations x) {
        if (rows.isLeading()) {
            backend.add(x, delta, rows.count());
        } else {
            backend.scatterAddRows(delta, rows.rows(), rows.count(), x);
        }
    }
}
