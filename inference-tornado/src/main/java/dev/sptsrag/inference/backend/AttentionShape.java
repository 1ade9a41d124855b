package dev.sptsrag.inference.backend;

import dev.sptsrag.inference.model.ModelConfig;

/**
 * The geometry of one attention op: query heads, KV heads (a KV head serves
 * {@code headCount / kvHeadCount} consecutive query heads), head width, the logit scale and the
 * sliding window (0 for none).
 */
public record AttentionShape(int headCount, int kvHeadCount, int headDim, float scale, int slidingWindow) {

    public static AttentionShape of(ModelConfig config) {
        return new AttentionShape(config.headCount(), config.kvHeadCount(), config.headDim(),
                (float) (1.0 / Math.sqrt(config.headDim())), config.slidingWindow());
    }

    public int groupSize() {
        return headCount / kvHeadCount;
    }
}
