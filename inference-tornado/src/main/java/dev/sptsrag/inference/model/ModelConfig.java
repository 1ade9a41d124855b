package dev.sptsrag.inference.model;

import dev.sptsrag.inference.ModelFormatException;

/**
 * Everything about a decoder-only transformer that the forward pass needs, independent of the file
 * it came from. Architecture differences are fields here (bias, tying, RoPE layout and scaling,
 * sliding window), so one forward pass serves every supported family.
 *
 * @param architecture     the family, for naming and for format conventions
 * @param name             a human-readable model name (from the file, or the folder name)
 * @param vocabSize        rows of the embedding and of the output projection
 * @param hiddenSize       model width ({@code d_model})
 * @param intermediateSize FFN width
 * @param layerCount       transformer blocks
 * @param headCount        query heads
 * @param kvHeadCount      key/value heads (GQA when fewer than {@code headCount})
 * @param headDim          width of one head (usually {@code hiddenSize / headCount}, not always)
 * @param contextLength    the longest sequence the model was trained for
 * @param normEps          RMSNorm epsilon
 * @param ropeTheta        RoPE base
 * @param ropeScaling      RoPE frequency scaling
 * @param ropeLayout       which dimensions form a rotated pair
 * @param qkvBias          whether Q, K and V projections carry a bias (Qwen2)
 * @param tiedEmbeddings   whether the output projection is the token embedding
 * @param slidingWindow    attention window in tokens (0: full causal attention)
 */
public record ModelConfig(
        Architecture architecture,
        String name,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int layerCount,
        int headCount,
        int kvHeadCount,
        int headDim,
        int contextLength,
        float normEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        RopeLayout ropeLayout,
        boolean qkvBias,
        boolean tiedEmbeddings,
        int slidingWindow) {

    public ModelConfig {
        require(vocabSize > 0, "vocab size must be positive: " + vocabSize);
        require(hiddenSize > 0, "hidden size must be positive: " + hiddenSize);
        require(intermediateSize > 0, "intermediate size must be positive: " + intermediateSize);
        require(layerCount > 0, "layer count must be positive: " + layerCount);
        require(headCount > 0, "head count must be positive: " + headCount);
        require(kvHeadCount > 0 && headCount % kvHeadCount == 0,
                "KV head count " + kvHeadCount + " must divide the head count " + headCount);
        require(headDim > 0 && headDim % 2 == 0, "head dimension must be positive and even: " + headDim);
        require(contextLength > 0, "context length must be positive: " + contextLength);
        require(normEps > 0 && Float.isFinite(normEps), "norm epsilon must be positive: " + normEps);
        require(ropeTheta > 0 && Double.isFinite(ropeTheta), "rope theta must be positive: " + ropeTheta);
        require(slidingWindow >= 0, "sliding window must not be negative: " + slidingWindow);
        // Bounds that keep every derived size (hiddenSize * vocabSize, ...) far from int overflow in
        // per-row indexing; real models are well inside them.
        require(vocabSize <= 1 << 22 && hiddenSize <= 1 << 16 && intermediateSize <= 1 << 18
                && layerCount <= 1024 && headCount <= 1024 && headDim <= 1024, "dimensions out of range: " + dims());
        if (ropeScaling == null) {
            ropeScaling = RopeScaling.NONE;
        }
    }

    /** Width of all query heads together. */
    public int queryDim() { return headCount * headDim; }

    /** Width of all key (or value) heads together. */
    public int kvDim() { return kvHeadCount * headDim; }

    /**
     * Whether each query and key head is RMS-normalised before RoPE (Qwen3): a fact of the family, with
     * no switch in any config format, so it comes from the architecture.
     */
    public boolean qkNorm() { return architecture.qkNorm(); }

    /** Query heads that share one KV head. */
    public int groupSize() { return headCount / kvHeadCount; }

    /** Parameters of the dense weights (embedding counted once when tied). */
    public long parameterCount() {
        long perLayer = (long) hiddenSize * queryDim() + 2L * hiddenSize * kvDim() + (long) queryDim() * hiddenSize
                + 3L * hiddenSize * intermediateSize + 2L * hiddenSize + (qkvBias ? queryDim() + 2L * kvDim() : 0)
                + (qkNorm() ? 2L * headDim : 0);
        long embeddings = (long) vocabSize * hiddenSize * (tiedEmbeddings ? 1 : 2);
        return embeddings + perLayer * layerCount + hiddenSize;
    }

    public ModelConfig withName(String newName) {
        return new ModelConfig(architecture, newName, vocabSize, hiddenSize, intermediateSize, layerCount, headCount,
                kvHeadCount, headDim, contextLength, normEps, ropeTheta, ropeScaling, ropeLayout, qkvBias,
                tiedEmbeddings, slidingWindow);
    }

    public ModelConfig withRopeLayout(RopeLayout layout) {
        return new ModelConfig(architecture, name, vocabSize, hiddenSize, intermediateSize, layerCount, headCount,
                kvHeadCount, headDim, contextLength, normEps, ropeTheta, ropeScaling, layout, qkvBias,
                tiedEmbeddings, slidingWindow);
    }

    public ModelConfig withContextLength(int length) {
        return new ModelConfig(architecture, name, vocabSize, hiddenSize, intermediateSize, layerCount, headCount,
                kvHeadCount, headDim, length, normEps, ropeTheta, ropeScaling, ropeLayout, qkvBias,
                tiedEmbeddings, slidingWindow);
    }

    private String dims() {
        return "vocab=" + vocabSize + " hidden=" + hiddenSize + " ffn=" + intermediateSize + " layers=" + layerCount
                + " heads=" + headCount + "/" + kvHeadCount + " headDim=" + headDim;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new ModelFormatException("invalid model configuration: " + message);
        }
    }
}
