package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.model.ModelConfig;

import java.util.Arrays;

/**
 * Floating-point operations a prefill actually executed, per layer, counting what dominates: matrix
 * products and attention (one multiply-add = 2 FLOPs; norms, RoPE, biases and softmax are left out).
 *
 * <ul>
 *   <li>{@code projections[l]}: {@code 2·hidden·(queryDim·Q rows + kvDim·(K rows + V rows)) + 2·queryDim·hidden·O rows}
 *       — the rows that really went through each projection;</li>
 *   <li>{@code attention[l]}: {@code 4·headDim·heads} per (query, key) pair the attention visited: the query's
 *       dot product with the key and the weighted sum of the value, per query head; pairs are the causal
 *       (and windowed) pairs among the layer's active tokens;</li>
 *   <li>{@code ffn[l]}: {@code 6·hidden·intermediate} per row through gate, up and down;</li>
 *   <li>{@code selection[l]}: what choosing the rows cost: the probe (the last token's query, its dot
 *       product with every candidate's key per query head) and the LTP proxy's products;</li>
 *   <li>{@code logits}: the output projection of the last token.</li>
 * </ul>
 */
public record PrefillFlops(long[] projections, long[] attention, long[] ffn, long[] selection, long logits) {

    public PrefillFlops {
        projections = projections.clone();
        attention = attention.clone();
        ffn = ffn.clone();
        selection = selection.clone();
    }

    /** Every prompt token through every layer: what the ordinary (chunked) prefill executes. */
    public static PrefillFlops full(ModelConfig c, int promptTokens) {
        Counter counter = new Counter(c);
        int[] positions = new int[promptTokens];
        for (int i = 0; i < promptTokens; i++) {
            positions[i] = i;
        }
        long pairs = causalPairs(positions, promptTokens, c.slidingWindow());
        for (int l = 0; l < c.layerCount(); l++) {
            counter.projections(l, promptTokens, promptTokens, promptTokens, promptTokens);
            counter.attentionPairs(l, pairs);
            counter.ffn(l, promptTokens);
        }
        return counter.build();
    }

    public long total() {
        return sum(projections) + sum(attention) + sum(ffn) + sum(selection) + logits;
    }

    /** Everything layer {@code l} executed. */
    public long layer(int l) {
        return projections[l] + attention[l] + ffn[l] + selection[l];
    }

    /** {@code total() / other.total()}. */
    public double ratioTo(PrefillFlops other) {
        return (double) total() / other.total();
    }

    @Override
    public long[] projections() { return projections.clone(); }

    @Override
    public long[] attention() { return attention.clone(); }

    @Override
    public long[] ffn() { return ffn.clone(); }

    @Override
    public long[] selection() { return selection.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrefillFlops f && logits == f.logits && Arrays.equals(projections, f.projections)
                && Arrays.equals(attention, f.attention) && Arrays.equals(ffn, f.ffn)
                && Arrays.equals(selection, f.selection);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new long[] {Arrays.hashCode(projections), Arrays.hashCode(attention), Arrays.hashCode(ffn),
                Arrays.hashCode(selection), logits});
    }

    @Override
    public String toString() {
        return String.format("%.3f GFLOP (projections %.3f, attention %.3f, FFN %.3f, selection %.3f, logits %.3f)",
                total() / 1e9, sum(projections) / 1e9, sum(attention) / 1e9, sum(ffn) / 1e9, sum(selection) / 1e9,
                logits / 1e9);
    }

    private static long sum(long[] a) {
        long s = 0;
        for (long v : a) {
            s += v;
        }
        return s;
    }

    /**
     * Causal (query, key) pairs among tokens at ascending {@code positions}: each sees itself and the earlier
     * ones, only the last {@code window} positions when {@code window > 0}.
     */
    public static long causalPairs(int[] positions, int count, int window) {
        long pairs = 0;
        int first = 0;
        for (int i = 0; i < count; i++) {
            if (window > 0) {
                while (positions[first] <= positions[i] - window) {
                    first++;
                }
            }
            pairs += i - first + 1;
        }
        return pairs;
    }

    /** Adds up what a prefill runs, layer by layer (one per request; nothing per token). */
    public static final class Counter {
        private final ModelConfig c;
        private final long[] projections;
        private final long[] attention;
        private final long[] ffn;
        private final long[] selection;

        public Counter(ModelConfig c) {
            this.c = c;
            int layers = c.layerCount();
            projections = new long[layers];
            attention = new long[layers];
            ffn = new long[layers];
            selection = new long[layers];
        }

        /** Rows through the query, key, value and output projections of layer {@code l}. */
        public void projections(int l, int queryRows, int keyRows, int valueRows, int outputRows) {
            long h = c.hiddenSize();
            projections[l] += 2 * h * ((long) c.queryDim() * queryRows + (long) c.kvDim() * (keyRows + valueRows))
                    + 2L * c.queryDim() * h * outputRows;
        }

        /** Attention among {@code count} active tokens at ascending {@code positions}. */
        public void attention(int l, int[] positions, int count) {
            attentionPairs(l, causalPairs(positions, count, c.slidingWindow()));
        }

        void attentionPairs(int l, long pairs) {
            attention[l] += pairs * 4L * c.headDim() * c.headCount();
        }

        /** Rows through the FFN of layer {@code l}. */
        public void ffn(int l, int rows) {
            ffn[l] += 6L * c.hiddenSize() * c.intermediateSize() * rows;
        }

        /** The probe: the last token's query, and its scores against {@code keys} candidates (keys counted as projections). */
        public void probe(int l, int keys) {
            selection[l] += 2L * c.hiddenSize() * c.queryDim() + 2L * c.headDim() * c.headCount() * keys;
        }

        /** Other selection work, e.g. the LTP proxy: {@code multiplyAdds} in all. */
        public void selection(int l, long multiplyAdds) {
            selection[l] += 2 * multiplyAdds;
        }

        public PrefillFlops build() {
            return new PrefillFlops(projections, attention, ffn, selection, 2L * c.hiddenSize() * c.vocabSize());
        }
    }
}
