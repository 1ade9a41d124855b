package dev.sptsrag.inference.spts;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.AttentionShape;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.TopSelector;
import dev.sptsrag.inference.decoder.DecoderBlock;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.decoder.PrefillFlops;
import dev.sptsrag.inference.decoder.RowSet;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.ltp.DeviceLowRankProxy;

/**
 * The prefill under a {@link SkipPlan}, layer by layer over the whole prompt (a probe needs the last
 * token's query against every candidate of the layer, so the prompt cannot be cut into chunks). It only
 * chooses which rows each layer runs — candidates, attention-active rows A, FFN-active rows F, each a
 * {@link RowSet} — and computes them with the {@link DecoderBlock} ops the ordinary forward pass uses.
 *
 * <pre>
 *   for each layer l:
 *     T = candidates (minus the lowest-scoring ones at a stage boundary; never the last token)
 *     h = rmsnorm(x[T]);  K = rope(h·Wk)                          (every candidate)
 *     probe: q = rope(h[last]·Wq);  S[n] = mean_h softmax_n(q_h·K_h[n]/√d)
 *     A = last ∪ sinks ∪ recent ∪ top-M(S)                         (attention-active rows)
 *     cache_l = (K[A], h[A]·Wv) at their positions;  x[T[A]] += attention(rope(h[A]·Wq), cache_l)·Wo
 *     F = T (PAP) or top-M of the FFN score (PAP+LTP, SPTS)       (FFN-active rows)
 *     x[T[F]] += ffn(rmsnorm(x[T[F]]))
 * </pre>
 *
 * With {@link SelectionCriterion#PREVIOUS_LAYER} (the LazyLLM-style baseline) A is the top-M of the probe
 * run one layer earlier, F = A, and the probe of layer l serves layer l+1.
 *
 * Layers that do not skip take the same path with A = F = T, which is bit for bit the ordinary
 * forward pass on the CPU. Rows of {@code x} not in A (or F) pass the layer unchanged: the residual.
 * Buffers are allocated once for {@code capacity} tokens; the cache it fills must start empty.
 */
public final class SptsPrefill {
    private final DeviceModel model;
    private final Backend backend;
    private final ModelConfig config;
    private final AttentionShape shape;
    private final DecoderBlock block;
    private final int capacity;

    private final Activations x;
    private final Activations h;
    private final Activations k;
    private final Activations hA;
    private final Activations kA;
    private final Activations q;
    private final Activations v;
    private final Activations attention;
    private final Activations projected;
    private final Activations gate;
    private final Activations up;
    private final Activations lastH;
    private final Activations lastQ;
    private final Activations ffnScoreRows; // [capacity × 1]: the LTP scores, chosen from on the backend

    // Host-side index sets, sized once.
    private final int[] candidates;
    private final int[] candidatePositions;
    private final int[] attentionRows;
    private final int[] attentionTokens;
    private final int[] ffnRows;
    private final int[] ffnTokens;
    private final int[] lastCandidate = new int[1]; // the probing token's row in h and k
    private final int[] probeToken = new int[1];    // its row in x
    private final int[] probePosition = new int[1];
    // The same sets as the rows DecoderBlock ops run on (a prompt token's row of x is its position). Each set's
    // positions go to the backend when the set changes: the candidates' at the start and after a removal (the
    // probe's with them: the last token is never removed), the attention rows' once per layer. The FFN needs none.
    private final RowSet candidateSet;  // candidates, at candidatePositions
    private final RowSet attentionSet;  // attentionTokens
    private final RowSet ffnSet;        // ffnTokens
    private final RowSet probeSet;      // the last candidate, whose query the probe makes
    private float[] scores;           // the latest probe's, one per candidate
    private float[] previousScores;   // the probe before it (criterion PREVIOUS_LAYER); swapped, never copied
    private final TopSelector selector;
    private DeviceLowRankProxy proxy;

    public SptsPrefill(DeviceModel model, int capacity) {
        this.model = model;
        this.backend = model.backend();
        this.config = model.config();
        this.shape = model.attentionShape();
        this.block = new DecoderBlock(model);
        this.capacity = capacity;
        int hidden = config.hiddenSize();
        x = backend.allocateActivations("spts x", capacity, hidden);
        h = backend.allocateActivations("spts h", capacity, hidden);
        k = backend.allocateActivations("spts k", capacity, config.kvDim());
        hA = backend.allocateActivations("spts h active", capacity, hidden);
        kA = backend.allocateActivations("spts k active", capacity, config.kvDim());
        q = backend.allocateActivations("spts q", capacity, config.queryDim());
        v = backend.allocateActivations("spts v", capacity, config.kvDim());
        attention = backend.allocateActivations("spts attention", capacity, config.queryDim());
        projected = backend.allocateActivations("spts projected", capacity, hidden);
        gate = backend.allocateActivations("spts gate", capacity, config.intermediateSize());
        up = backend.allocateActivations("spts up", capacity, config.intermediateSize());
        lastH = backend.allocateActivations("spts last h", 1, hidden);
        lastQ = backend.allocateActivations("spts last q", 1, config.queryDim());
        ffnScoreRows = backend.allocateActivations("spts ffn scores", capacity, 1);
        candidates = new int[capacity];
        candidatePositions = new int[capacity];
        attentionRows = new int[capacity];
        attentionTokens = new int[capacity];
        ffnRows = new int[capacity];
        ffnTokens = new int[capacity];
        scores = new float[capacity];
        previousScores = new float[capacity];
        selector = new TopSelector(capacity);
        candidateSet = RowSet.listed(candidates, candidatePositions, backend, "spts candidate positions");
        attentionSet = RowSet.listed(attentionTokens, attentionTokens, backend, "spts active positions");
        ffnSet = RowSet.listed(ffnTokens);
        probeSet = RowSet.listed(probeToken, probePosition, backend, "spts probe position");
        probeSet.setCount(1);
    }

    /**
     * Bytes the buffers of a prefill for {@code capacity} tokens take on {@code backend}, the positions of its
     * row sets, plus the probe's scratch (logits of every head for every candidate, scores, row indices) and
     * the device selection's (score factors, chosen rows) — for the memory plan.
     */
    public static long bytes(ModelConfig c, Backend backend, int capacity) {
        long rows = 4 * backend.activationBytes(capacity, c.hiddenSize())
                + 3 * backend.activationBytes(capacity, c.kvDim())
                + 2 * backend.activationBytes(capacity, c.queryDim())
                + 2 * backend.activationBytes(capacity, c.intermediateSize())
                + backend.activationBytes(1, c.hiddenSize()) + backend.activationBytes(1, c.queryDim())
                + backend.activationBytes(capacity, 1);
        long positions = 2 * RowSet.bytes(backend, capacity) + RowSet.bytes(backend, 1); // candidates, active, probe
        return rows + positions + 4L * capacity * (c.headCount() + 5) + 4;
    }

    /**
     * Each candidate takes the highest score among itself and the {@code span} candidates before it, in
     * place (walking backwards reads only scores not yet pooled). Candidates are in token order, so a chosen
     * token's followers rank with it; the last token is forced in by the selector anyway.
     */
    static void poolSpans(float[] scores, int count, int span) {
        for (int i = count - 1; i > 0 && span > 0; i--) {
            float best = scores[i];
            for (int j = Math.max(0, i - span); j < i; j++) {
                best = Math.max(best, scores[j]);
            }
            scores[i] = best;
        }
    }

    /**
     * The LTP proxy that scores FFN rows ({@code ||f(x)|| · S_MHA}) in modes PAP_LTP and SPTS; null
     * ranks them by the attention probe alone.
     */
    public void useProxy(DeviceLowRankProxy proxy) {
        if (proxy != null && (proxy.shape().layers() != config.layerCount() || proxy.shape().hidden() != config.hiddenSize())) {
            throw new IllegalArgumentException("LTP proxy of " + proxy.shape() + " does not fit " + config.name());
        }
        if (proxy != null && proxy.rows() < capacity) {
            throw new IllegalArgumentException("LTP proxy buffers for " + proxy.rows() + " rows, prefill of " + capacity);
        }
        this.proxy = proxy;
    }

    /** Tokens this prefill can take. */
    public int capacity() { return capacity; }

    /** The final hidden states of every token (only the last one's is needed for logits). */
    public Activations hiddenStates() { return x; }

    /**
     * Runs {@code tokens} (at positions 0..n-1) through every layer under {@code plan}, filling each
     * layer of cache sequence {@code sequence} with exactly that layer's active tokens. The blocks for them
     * (the plan knows how many each layer keeps) are reserved here, before anything runs.
     *
     * @return what was skipped and removed, layer by layer
     * @throws IllegalStateException when the cache lacks the blocks (a scheduler asks {@link #blocksNeeded} first)
     */
    public SkipStatistics run(int[] tokens, SkipPlan plan, KvCache cache, int sequence) {
        int n = plan.promptLength();
        if (n > capacity || tokens.length < n) {
            throw new IllegalArgumentException("SPTS prefill of " + n + " tokens, capacity " + capacity);
        }
        int layers = config.layerCount();
        for (int l = 0; l < layers; l++) {
            if (cache.filled(sequence, l) != 0) {
                throw new IllegalArgumentException("SPTS prefill into a cache that holds " + cache.filled(sequence, l)
                        + " tokens in layer " + l + ": a prompt starts at position 0");
            }
        }
        if (blocksNeeded(plan, cache, sequence) > cache.freeBlocks()) {
            throw new IllegalStateException("KV cache full: an SPTS prefill of " + n + " tokens needs "
                    + blocksNeeded(plan, cache, sequence) + " blocks, " + cache.freeBlocks() + " free");
        }
        for (int l = 0; l < layers; l++) {
            cache.reserve(sequence, l, keptTokens(plan, l));
        }
        cache.publish();
        candidateSet.setSequence(sequence);
        attentionSet.setSequence(sequence);
        probeSet.setSequence(sequence);
        SkipStatistics.Builder stats = new SkipStatistics.Builder(layers, n);
        PrefillFlops.Counter flops = new PrefillFlops.Counter(config);
        boolean selfProbe = plan.budget().criterion() == SelectionCriterion.SELF_PROBE;
        backend.embed(model.embedding(), tokens, n, x);
        int count = n;
        for (int i = 0; i < n; i++) {
            candidates[i] = i;
            candidatePositions[i] = i; // a prompt starts at position 0
        }
        publishCandidates(count);
        boolean scoresValid = false;
        for (int l = 0; l < layers; l++) {
            int remove = plan.removedBefore(l);
            if (remove > 0) {
                if (!scoresValid) {
                    throw new IllegalStateException("layer " + l + " removes candidates but no probe ran before it");
                }
                count = removeLowest(count, remove, plan.budget());
                publishCandidates(count);
            }
            if (count != plan.candidates(l)) {
                throw new IllegalStateException("layer " + l + ": " + count + " candidates, plan says " + plan.candidates(l));
            }
            block.normaliseForAttention(l, x, candidateSet, h);

            boolean probe = plan.probes(l);
            boolean skip = plan.skips(l);
            if (skip && !selfProbe && !scoresValid) {
                throw new IllegalStateException("layer " + l + " is chosen by the previous layer's probe, which did not run");
            }
            float[] choosing = scores; // the previous layer's scores when the criterion is PREVIOUS_LAYER
            if (probe) {
                long t0 = System.nanoTime();
                if (!selfProbe) {
                    float[] t = previousScores; // keep the previous layer's scores for this layer's choice
                    previousScores = scores;
                    scores = t;
                }
                block.projectKeys(l, h, candidateSet, k);
                flops.probe(l, count);
                lastCandidate[0] = count - 1;
                backend.gatherRows(h, lastCandidate, 1, lastH);
                block.projectQuery(l, lastH, probeSet, lastQ);
                backend.probeScores(lastQ, 0, probePosition[0], k, count, candidateSet.devicePositions(), shape,
                        scores);
                poolSpans(scores, count, plan.budget().spanTokens());
                stats.probeNanos(System.nanoTime() - t0);
                scoresValid = true;
                if (selfProbe) {
                    choosing = scores;
                }
            }

            // ---- attention on the active rows
            int active;
            Activations keys;
            if (skip) {
                active = selector.select(choosing, count, plan.active(l), plan.budget().sinkTokens(),
                        plan.budget().recentTokens(), attentionRows);
                for (int i = 0; i < active; i++) {
                    attentionTokens[i] = candidates[attentionRows[i]];
                }
                attentionSet.setCount(active);
                attentionSet.publishPositions();
                backend.gatherRows(h, attentionRows, active, hA);
                if (probe) {
                    backend.gatherRows(k, attentionRows, active, kA);
                } else {
                    // Chosen by the previous layer and not probing for the next: keys of the active rows only.
                    block.projectKeys(l, hA, attentionSet, kA);
                }
                block.projectQueryValue(l, hA, attentionSet, q, v);
                keys = kA;
                flops.projections(l, active, probe ? count : active, active, active);
            } else {
                active = count;
                System.arraycopy(candidates, 0, attentionTokens, 0, count);
                attentionSet.setCount(active);
                attentionSet.publishPositions();
                if (!probe) {
                    block.projectKeys(l, h, candidateSet, k);
                }
                block.projectQueryValue(l, h, attentionSet, q, v);
                keys = k;
                flops.projections(l, count, count, count, count);
            }
            block.attend(l, attentionSet, q, keys, v, cache, attention);
            flops.attention(l, attentionTokens, active);
            block.addAttentionOutput(l, attention, attentionSet, projected, x);

            // ---- FFN on its active rows
            int ffnActive;
            boolean ltp = skip && selfProbe && proxy != null && plan.budget().mode() != SkipMode.PAP;
            if (skip && !selfProbe && plan.budget().mode() != SkipMode.PAP) {
                // The baseline computes a token in the whole block or not at all.
                ffnActive = active;
                System.arraycopy(attentionRows, 0, ffnRows, 0, active);
                System.arraycopy(attentionTokens, 0, ffnTokens, 0, active);
            } else if (skip && plan.budget().mode() != SkipMode.PAP) {
                if (proxy != null) {
                    // LTP: the FFN input of every candidate, scored by the proxy times the attention probe
                    // (S_MHA goes up, the product and the top-M choice stay on the backend: only the
                    // chosen rows come back). Every candidate is scored, not only the attention-active
                    // ones: with the same budget M for both, top-M of the attention-active rows would be
                    // those rows again and the proxy would change nothing.
                    block.normaliseForFfn(l, x, candidateSet, h);
                    proxy.scores(l, h, count, scores, ffnScoreRows);
                    flops.selection(l, count * proxy.shape().multiplyAddsPerRow(proxy.shape().variant()));
                    ffnActive = backend.selectRows(ffnScoreRows, count, plan.active(l), plan.budget().sinkTokens(),
                            plan.budget().recentTokens(), ffnRows);
                } else {
                    // Without a calibrated LTP proxy the FFN rows are ranked by the attention probe alone.
                    ffnActive = selector.select(scores, count, plan.active(l), plan.budget().sinkTokens(),
                            plan.budget().recentTokens(), ffnRows);
                }
                for (int i = 0; i < ffnActive; i++) {
                    ffnTokens[i] = candidates[ffnRows[i]];
                }
            } else {
                ffnActive = count;
                System.arraycopy(candidates, 0, ffnTokens, 0, count);
            }
            ffnSet.setCount(ffnActive);
            Activations ffnIn;
            if (ltp) {
                backend.gatherRows(h, ffnRows, ffnActive, hA); // already normalised for the proxy
                ffnIn = hA;
            } else {
                block.normaliseForFfn(l, x, ffnSet, h);
                ffnIn = h;
            }
            block.addFfn(l, ffnIn, ffnSet, gate, up, projected, x);
            flops.ffn(l, ffnActive);

            stats.layer(l, count, remove, attentionTokens, active, ffnTokens, ffnActive);
        }
        return stats.build(cache, sequence, flops.build());
    }

    /** Tokens layer {@code l} keeps in the cache under {@code plan}: its attention-active rows. */
    private static int keptTokens(SkipPlan plan, int l) {
        return plan.skips(l) ? Math.min(plan.active(l), plan.candidates(l)) : plan.candidates(l);
    }

    /** Blocks a prefill under {@code plan} takes from {@code cache} for sequence {@code sequence}. */
    public static int blocksNeeded(SkipPlan plan, KvCache cache, int sequence) {
        int need = 0;
        for (int l = 0; l < cache.layers(); l++) {
            need += cache.blocksNeeded(sequence, l, keptTokens(plan, l));
        }
        return need;
    }

    /**
     * Makes the first {@code count} candidates the candidate set and its last one the probing token, and
     * publishes both sets' positions: the ops of every layer until the next removal read them.
     */
    private void publishCandidates(int count) {
        candidateSet.setCount(count);
        candidateSet.publishPositions();
        probeToken[0] = candidates[count - 1]; // a plan has at least one token, and never removes the last
        probePosition[0] = candidatePositions[count - 1];
        probeSet.publishPositions();
    }

    /**
     * Removes the {@code remove} candidates with the lowest latest probe score for good; never the last
     * token nor the protected sink/recent tokens; on equal scores the earlier token stays. Keeps order.
     */
    private int removeLowest(int count, int remove, SkipBudget budget) {
        int keep = count - remove;
        int kept = selector.select(scores, count, keep, budget.sinkTokens(), budget.recentTokens(), attentionRows);
        for (int i = 0; i < kept; i++) {
            candidates[i] = candidates[attentionRows[i]];
            candidatePositions[i] = candidatePositions[attentionRows[i]];
            scores[i] = scores[attentionRows[i]];
        }
        return kept;
    }
}
